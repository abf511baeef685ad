"""Create and reuse one virtual environment per peer tracker under ``bench/.venvs``."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
VENVS_DIR = BENCH_DIR / ".venvs"

# Pinned peer versions (latest releases available when the harness was written). Pillow is
# what each peer itself uses to encode images (R1); pandas reads tables back (R3).
PEERS: dict[str, list[str]] = {
    "mlflow": ["mlflow==3.17.2"],
    "wandb": ["wandb==0.31.0", "pillow", "pandas"],
    "trackio": ["trackio==0.43.0", "pillow", "pandas"],
    "aim": ["aim==3.29.1"],
    "tensorboardX": ["tensorboardX==2.6.5", "pillow"],
}
# Every peer venv also gets numpy (the workloads use it to pre-generate values).
COMMON = ["numpy"]
MARKER = ".bench-installed"


def venv_python(peer: str) -> Path:
    """Return the interpreter path of ``peer``'s venv."""
    return VENVS_DIR / peer / "bin" / "python"


def ensure_venv(peer: str, log=print) -> Path:
    """Create ``bench/.venvs/<peer>`` and install its pinned packages unless already done."""
    root = VENVS_DIR / peer
    spec = PEERS[peer] + COMMON
    marker = root / MARKER
    want = "\n".join(spec)
    if marker.is_file() and marker.read_text() == want and venv_python(peer).exists():
        return venv_python(peer)
    log(f"[venv] creating {root} with {' '.join(spec)} (one-off, takes a few minutes)")
    venv.EnvBuilder(with_pip=True, clear=True, symlinks=True).create(root)
    cmd = [str(venv_python(peer)), "-m", "pip", "install", "--quiet", *spec]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"pip install for {peer} failed:\n{proc.stderr[-2000:]}")
    marker.write_text(want)
    return venv_python(peer)


def installed_version(peer: str) -> str:
    """Return the installed version string of ``peer`` in its venv (or '?')."""
    code = f"import importlib.metadata as m; print(m.version({peer!r}))"
    proc = subprocess.run([str(venv_python(peer)), "-c", code], capture_output=True, text=True)
    return proc.stdout.strip() or "?"


if __name__ == "__main__":
    for name in sys.argv[1:] or list(PEERS):
        print(name, ensure_venv(name))
