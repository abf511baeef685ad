"""Every example marked runnable in README.md and docs/*.md runs as written, so a doc example
cannot rot.

Mark a fenced ``python`` or ``bash`` block by putting ``<!-- runnable -->`` on the line just
before it. A document's marked blocks run in order in one fresh folder with the default store
``./tracklog`` there, as a reader would go through them: the Python blocks in one interpreter
(a later block uses the imports and names of an earlier one), the bash blocks with ``set -eo
pipefail`` and this environment's ``tracklog`` first on PATH. A block fails the test by raising
or exiting non-zero.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
MARK = "<!-- runnable -->"
_BLOCK = re.compile(rf"^{re.escape(MARK)}\n```(python|bash)\n(.*?)^```$", re.M | re.S)
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def runnable_blocks(text: str) -> list[tuple[str, str]]:
    """The (language, code) of each block marked runnable in ``text``, in order."""
    return [(m.group(1), m.group(2)) for m in _BLOCK.finditer(text)]


def test_a_mark_before_anything_but_a_python_or_bash_block_is_an_error() -> None:
    for doc in DOCUMENTS:
        text = doc.read_text()
        marks = len(re.findall(rf"^{re.escape(MARK)}$", text, re.M))
        assert marks == len(runnable_blocks(text)), (
            f"{doc.name}: a {MARK} line must come right before a ```python or ```bash block"
        )


# Runs the blocks (JSON on stdin) in order; names the failing one on stderr.
_RUNNER = """
import json, subprocess, sys, traceback
namespace = {"__name__": "__main__"}
for n, (language, code) in enumerate(json.load(sys.stdin), 1):
    try:
        if language == "python":
            exec(compile(code, f"<runnable block {n}>", "exec"), namespace)
        else:
            subprocess.run(["bash", "-c", "set -eo pipefail\\n" + code], check=True)
    except BaseException:
        print(f"runnable block {n} ({language}) failed:\\n{code}", file=sys.stderr)
        traceback.print_exc()
        sys.exit(1)
"""


@pytest.mark.parametrize(
    "doc", [d for d in DOCUMENTS if runnable_blocks(d.read_text())], ids=lambda d: d.name
)
def test_the_runnable_examples_of_a_document_run(doc: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKLOG_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["MPLBACKEND"] = "Agg"
    done = subprocess.run(
        [sys.executable, "-c", _RUNNER],
        input=json.dumps(runnable_blocks(doc.read_text())),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"{doc.name}:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
