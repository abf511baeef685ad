"""``init()`` captures the run's context: metadata, artifacts, console and system series."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import tracklog
from tracklog.errors import InvalidValueError

SCRIPT = textwrap.dedent(
    """
    import time
    import tracklog

    with tracklog.init(project="cap", settings={"system_interval_s": 0.2}) as run:
        print("hello from training", flush=True)
        for i in range(3):  # a progress bar: each update rewrites the line
            print(f"\\rprogress {i}", end="", flush=True)
        print()
        run.log({"loss": 1.0})
        # Until the sampler has handed over a sample (the second begins after the first's
        # callback returned), however long a loaded machine takes.
        deadline = time.monotonic() + 120
        while run._capture._sampler.samples < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    print(run.id)
    """
)


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def test_a_run_in_a_dirty_git_repo_records_its_context(
    local_store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRACKLOG_CAPTURE")
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(
        repo,
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@t",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "x",
    )
    (repo / "train.py").write_text(SCRIPT)
    _git(repo, "add", "train.py")  # staged, uncommitted: goes into diff.patch
    done = subprocess.run(
        [sys.executable, "train.py"], cwd=repo, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "hello from training" in done.stdout  # the tee still shows output
    run = tracklog.Api().run(done.stdout.split()[-1])
    meta = run.metadata
    assert meta["git"]["dirty"] is True and len(meta["git"]["commit"]) == 40
    assert meta["environment"]["python"]["version"].startswith(f"{sys.version_info[0]}.")
    files = run.files()
    assert {"diff.patch", "requirements.txt", "output.log"} <= set(files)
    log = run.download("output.log", tmp_path / "dl").read_text()
    assert "hello from training" in log and "progress 2" in log and "progress 0" not in log
    assert "system/cpu_percent" in run.metric_keys()


def test_capture_can_be_switched_off_and_bad_settings_are_named(
    local_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRACKLOG_CAPTURE")
    with tracklog.init(project="cap", settings={"enabled": False}) as run:
        pass
    assert tracklog.Api().run(run.id).metadata == {} and tracklog.Api().run(run.id).files() == []
    with pytest.raises(InvalidValueError, match="gti"):
        tracklog.init(project="cap", settings={"gti": False})
    assert tracklog.run is None


FORKS = textwrap.dedent(
    """
    import os
    import tracklog

    run = tracklog.init(project="fork")
    pid = os.fork()  # as a data loader's workers start, right after init()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    print(run._capture._oneshot.is_alive())
    run.finish()
    """
)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_fork_waits_for_the_one_shot_captures(local_store: str, tmp_path: Path) -> None:
    """A child copied while the capture thread held an import or journal lock would wait for
    that lock forever: the parent forks only once that thread is done."""
    env = {**os.environ, "TRACKLOG_CAPTURE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", FORKS],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False"]
