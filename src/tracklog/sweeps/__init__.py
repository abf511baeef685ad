"""W&B-compatible sweeps: config, search methods, hyperband, the agent (docs/sweeps.md)."""
