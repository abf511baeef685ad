"""The web UI: static pages and modules that read only the public ``/api/v1`` API."""
