"""capture_all: everything together, its guards, and its cost in a realistic project."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from capture_helpers import git, make_big_project, write

from tracklog.sdk.capture import CaptureSettings, capture_all
from tracklog.sdk.capture.environment import script_path

FAST = {"console": False, "system_metrics": False}


def test_everything_in_a_dirty_repository(repo: Path, tmp_path: Path) -> None:
    write(repo, {"README.md": "changed\n", "new.txt": "new\n", "src/model.py": "m = 1\n"})
    settings = CaptureSettings.resolve({**FAST, "code_glob": "src/**/*.py"}, {})
    cap = capture_all(settings, repo, background=False)
    meta = cap.metadata
    assert json.loads(json.dumps(meta)) == meta
    assert set(meta) == {"environment", "git", "packages", "code", "capture"}
    assert meta["git"]["dirty"] is True and meta["git"]["commit"]
    assert meta["environment"]["cwd"] == str(repo)
    assert meta["packages"]["count"] > 10
    # The running script is pytest's own here (none in a pytest-xdist worker).
    main = script_path()
    script = [f"code/{Path(main).name}"] if main else []
    assert meta["code"]["files"] == [*script, "code/src/app.py", "code/src/model.py"]
    assert meta["capture"]["notes"] == cap.notes == []
    parts = {"environment", "git_start", "git_wait", "git", "packages", "code", "total"}
    assert set(cap.timings_ms) == parts
    assert set(cap.texts) == {"diff.patch", "requirements.txt"}
    assert "+changed" in cap.texts["diff.patch"]
    assert [name for _, name in cap.files] == meta["code"]["files"]
    written = dict((name, path) for path, name in cap.write_texts(tmp_path / "out"))
    assert written["requirements.txt"].read_text() == cap.texts["requirements.txt"]
    assert cap.late() is None


def test_switches(repo: Path) -> None:
    write(repo, {"README.md": "changed\n"})
    off = capture_all(CaptureSettings.resolve({"enabled": False}, {}), repo)
    assert set(off.metadata) == {"capture"} and off.texts == {} and off.files == []
    no_diff = capture_all(CaptureSettings.resolve({**FAST, "diff": False}, {}), repo)
    assert no_diff.metadata["git"]["dirty"] is True and "diff.patch" not in no_diff.texts


def test_outside_a_repository_and_in_a_deleted_folder(tmp_path: Path) -> None:
    cap = capture_all(CaptureSettings.resolve(FAST, {}), tmp_path)
    assert "git" in cap.metadata and cap.metadata["git"] == {}
    assert any("not a git repository" in n for n in cap.notes)
    assert cap.metadata["capture"]["notes"] == cap.notes
    gone = tmp_path / "gone"
    cap = capture_all(CaptureSettings.resolve({**FAST, "code_glob": "*.py"}, {}), gone)
    assert "environment" in cap.metadata and "requirements.txt" in cap.texts
    assert cap.notes  # git could not run there: a note, not an exception


def test_latin1_file_round_trips_through_write_texts(repo: Path, tmp_path: Path) -> None:
    (repo / "latin1.txt").write_bytes("caf\xe9\n".encode("latin-1"))
    git(repo, "add", "latin1.txt")
    git(repo, "commit", "-q", "-m", "latin-1")
    (repo / "latin1.txt").write_bytes("na\xefve caf\xe9\n".encode("latin-1"))
    cap = capture_all(CaptureSettings.resolve({**FAST, "packages": False}, {}), repo)
    (path, _), *_ = cap.write_texts(tmp_path / "out")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(repo), str(clone))
    git(clone, "apply", str(path))
    assert (clone / "latin1.txt").read_bytes() == (repo / "latin1.txt").read_bytes()


_TIMER = """
import json, sys, time
import tracklog.sdk.fluent  # what init() has imported before it would call capture_all
from tracklog.sdk.capture import CaptureSettings, capture_all
from tracklog.sdk.capture.environment import script_path

settings = CaptureSettings.resolve({"console": False, "system_metrics": False}, {})
times, cap = [], None
for _ in range(3):
    begin = time.perf_counter()
    cap = capture_all(settings, sys.argv[1])
    times.append((time.perf_counter() - begin) * 1000)
print(json.dumps({"ms": times, "parts": cap.timings_ms, "packages": cap.metadata["packages"],
                  "git": cap.metadata["git"], "notes": cap.notes,
                  "diff_bytes": len(cap.texts.get("diff.patch", ""))}))
"""


@pytest.fixture(scope="module")
def big_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_big_project(tmp_path_factory.mktemp("big"))


def test_a_project_of_1000_files_and_300_packages(
    big_project: tuple[Path, Path], pytestconfig: pytest.Config
) -> None:
    repo, site = big_project
    env = {**os.environ, "PYTHONPATH": str(site)}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_TIMER), str(repo)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["packages"]["count"] >= 290
    assert out["git"]["dirty"] is True and out["git"]["untracked_files"] == 5
    assert out["notes"] == []
    first, *rest = out["ms"]
    print(
        f"capture_all, 1000-file repo, {out['packages']['count']} packages: first call "
        f"{first:.1f} ms, then {', '.join(f'{t:.1f}' for t in rest)} ms; parts {out['parts']}"
    )
