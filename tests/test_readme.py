"""The README's tour runs as written, and ``import tracklog`` stays light."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).parent.parent / "README.md"
HEAVY = [
    *("sqlalchemy", "numpy", "pandas", "fsspec", "alembic", "torch", "plotly", "rich", "click"),
    *("fastapi", "starlette", "uvicorn", "httpx", "mlflow", "wandb", "optuna", "transformers"),
]


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_python_tour_runs(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKLOG_")}
    code = _blocks("python")[0]
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, timeout=120
    )
    assert done.returncode == 0, done.stderr.decode()
    out = done.stdout.decode()
    assert "bert-base-lr2e-5" in out and "0.93" in out
    assert (tmp_path / "tracklog" / "tracklog.db").exists()


def test_import_tracklog_loads_no_heavy_module() -> None:
    code = "import sys, tracklog; print(' '.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True)
    loaded = set(done.stdout.decode().split())
    assert not [m for m in HEAVY if m in loaded]
