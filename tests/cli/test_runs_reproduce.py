"""``tracklog runs reproduce``: a real repository, a real training script run with capture on,
then its code rebuilt in a worktree and its command re-run as a tagged reproduction."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cli_helpers import Invoke, MakeRun

import tracklog
from inprocess import socket_server
from tracklog.errors import InvalidValueError
from tracklog.sdk.reproduce_checkout import child_environment
from tracklog.store.tracking import Store

COMMITTED = """\
import argparse
import os

import tracklog

SCALE = 1

parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, default=2)
args = parser.parse_args()
# The learning rate comes from the environment, which the command line does not show: only
# the recorded config can bring it back.
run = tracklog.init(
    project="repro", config={"lr": float(os.environ.get("LR", "0.1")), "steps": args.steps}
)
for step in range(run.config["steps"]):
    run.log({"loss": run.config["lr"] * SCALE / (step + 1)}, step=step)
print("RUN_ID=" + run.id)
run.finish()
"""
# The uncommitted state the run was started from: a changed script and an untracked module.
DIRTY = COMMITTED.replace("SCALE = 1\n", "from helper import SCALE\n")
HELPER = "SCALE = 2\n"


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout.strip()


@pytest.fixture(autouse=True)
def _capture_and_plain_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Capture on (the suite turns it off), without system sampling; the machine's git
    configuration kept out, and commits allowed."""
    monkeypatch.delenv("TRACKLOG_CAPTURE", raising=False)
    monkeypatch.delenv("TRACKLOG_REPRODUCE_FROM", raising=False)
    monkeypatch.setenv("TRACKLOG_CAPTURE_SYSTEM_METRICS", "0")
    config = tmp_path / "gitconfig"
    config.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Test")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "test@example.com")


@dataclass
class Recorded:
    repo: Path
    commit: str
    run_id: str
    uri: str


def record_run(repo: Path, uri: str, **env: str) -> str:
    """Run train.py in ``repo`` as a user would, logging to ``uri``; returns the run id."""
    done = subprocess.run(
        [sys.executable, "train.py", "--steps", "4"],
        cwd=repo,
        env={**os.environ, "TRACKLOG_URI": uri, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split("RUN_ID=")[1].split()[0]


@pytest.fixture
def recorded(cli_uri: str, tmp_path: Path) -> Recorded:
    """A committed train.py, changed and given an untracked helper, then run with LR=0.3."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "train.py").write_text(COMMITTED)
    (repo / ".gitignore").write_text("tracklog/\n")  # journals of runs logged to a server
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "train")
    commit = git(repo, "rev-parse", "HEAD")
    (repo / "train.py").write_text(DIRTY)
    (repo / "helper.py").write_text(HELPER)
    return Recorded(repo, commit, record_run(repo, cli_uri, LR="0.3"), cli_uri)


@pytest.fixture
def store(cli_uri: str) -> Iterator[Store]:
    s = Store(cli_uri)
    yield s
    s.close()


def losses(uri: str, run_id: str) -> list[float]:
    return tracklog.Api(uri).run(run_id).series("loss").values.tolist()


def worktrees(repo: Path) -> list[str]:
    return [
        line.split(" ", 1)[1]
        for line in git(repo, "worktree", "list", "--porcelain").splitlines()
        if line.startswith("worktree ")
    ]


def test_prints_the_steps_after_rebuilding_the_code(
    invoke: Invoke, recorded: Recorded, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(recorded.repo)
    result = invoke("runs", "reproduce", recorded.run_id[:8])
    assert result.exit_code == 0, result.output
    folder = recorded.repo.parent / f"repo-reproduce-{recorded.run_id[:8]}"
    assert str(folder) in worktrees(recorded.repo)
    assert git(folder, "rev-parse", "HEAD") == recorded.commit
    assert (folder / "train.py").read_text() == DIRTY
    assert (folder / "helper.py").read_text() == HELPER
    saved = store.open_file(recorded.run_id, "requirements.txt").read()
    assert (folder / "requirements.txt").read_bytes() == saved
    assert saved.startswith(b"# Python ")

    steps = result.stdout.split("To reproduce it:\n")[1].splitlines()
    assert steps[0] == f"  cd {folder}"
    assert steps[1] == f"  pip install -r {folder / 'requirements.txt'}"
    assert steps[2] == (
        f"  TRACKLOG_URI={recorded.uri} TRACKLOG_REPRODUCE_FROM={recorded.run_id} "
        "python train.py --steps 4"
    )
    # The printed lines are the recipe: run them in a shell (the recorded packages are these).
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    shell = subprocess.run(
        ["bash", "-c", f"{steps[0]} && {steps[2]}"],
        env={**os.environ, "PATH": path},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shell.returncode == 0, shell.stderr
    new_id = shell.stdout.split("RUN_ID=")[1].split()[0]
    assert_reproduction(recorded, store, new_id)


def assert_reproduction(recorded: Recorded, store: Store, new_id: str) -> None:
    old, new = store.get_run(recorded.run_id), store.get_run(new_id)
    assert new.tags == {"reproduced_from": recorded.run_id}
    assert new.project == old.project == "repro"
    assert new.config == old.config == {"lr": 0.3, "steps": 4}
    assert losses(recorded.uri, new_id) == losses(recorded.uri, recorded.run_id)
    assert losses(recorded.uri, new_id) == [0.3 * 2 / (s + 1) for s in range(4)]  # the dirty code
    assert new.metadata["git"]["commit"] == recorded.commit


def test_exec_runs_the_recorded_command_as_a_tagged_run(
    invoke: Invoke, recorded: Recorded, store: Store, tmp_path: Path
) -> None:
    # The working directory (tmp_path) is outside any repository: the recorded one is used.
    folder = tmp_path / "elsewhere" / "again"
    given = str(tmp_path / "elsewhere" / ".." / "elsewhere" / "again")
    result = invoke("runs", "reproduce", recorded.run_id, "--dir", given, "--exec")
    assert result.exit_code == 0, result.output
    assert str(folder) in worktrees(recorded.repo)
    (new,) = store.search_runs(filter=f"tags.reproduced_from = '{recorded.run_id}'")
    assert f"new run {new.id} ({new.name}), tagged reproduced_from={recorded.run_id}" in (
        result.stdout
    )
    assert_reproduction(recorded, store, new.id)
    assert new.metadata["environment"]["cwd"] == str(folder)


def test_a_failing_command_passes_its_exit_code_on(
    invoke: Invoke, recorded: Recorded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(recorded.repo)
    monkeypatch.setenv("TRACKLOG_MODE", "sideways")  # the re-run's init() refuses this
    result = invoke("runs", "reproduce", recorded.run_id, "--dir", str(tmp_path / "f"), "--exec")
    assert result.exit_code == 1
    assert "error: the recorded command exited with code 1" in result.stderr
    assert (tmp_path / "f" / "helper.py").exists()  # the worktree stays for a look


def test_unknown_run(invoke: Invoke, cli_uri: str) -> None:
    result = invoke("runs", "reproduce", "nosuchrun")
    assert result.exit_code == 1
    assert result.stderr == "error: no run with id or id prefix 'nosuchrun'\n"


def test_run_without_git_info(invoke: Invoke, make_run: MakeRun) -> None:
    run_id = make_run()  # capture is off for it, as with TRACKLOG_CAPTURE_GIT=0
    result = invoke("runs", "reproduce", run_id)
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: run {run_id} recorded no git commit: it was not started inside a git "
        "repository, or git capture was off (TRACKLOG_CAPTURE_GIT=0 or TRACKLOG_CAPTURE=0)\n"
    )


def test_run_without_a_command(invoke: Invoke, recorded: Recorded, store: Store) -> None:
    run = store.create_run("repro")
    store.update_run(run.id, metadata={"git": {"commit": recorded.commit, "path": "."}})
    result = invoke("runs", "reproduce", run.id)
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: run {run.id} recorded no command line: environment capture was off "
        "(TRACKLOG_CAPTURE_ENVIRONMENT=0 or TRACKLOG_CAPTURE=0)\n"
    )


def test_commit_missing_from_the_repository(
    invoke: Invoke, recorded: Recorded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q", "-b", "main")
    git(other, "commit", "-q", "--allow-empty", "-m", "unrelated")
    monkeypatch.chdir(other)
    result = invoke("runs", "reproduce", recorded.run_id)
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"error: commit {recorded.commit} of run {recorded.run_id} is not in the repository at "
        f"{other}: fetch it (git fetch --all) and try again"
    )
    assert worktrees(other) == [str(other)]
    assert not [name for name in os.listdir(tmp_path) if "reproduce" in name]


def test_a_patch_that_does_not_apply_leaves_nothing(
    invoke: Invoke, recorded: Recorded, store: Store, tmp_path: Path
) -> None:
    stale = "--- a/train.py\n+++ b/train.py\n@@ -1,1 +1,1 @@\n-import sys\n+import json\n"
    store.write_file(
        recorded.run_id, "diff.patch", [b"diff --git a/train.py b/train.py\n" + stale.encode()]
    )
    folder = tmp_path / "f"
    result = invoke("runs", "reproduce", recorded.run_id, "--dir", str(folder))
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"error: run {recorded.run_id}'s diff.patch does not apply to commit "
        f"{recorded.commit[:12]}: error: patch failed: train.py:1"
    )
    assert not folder.exists() and worktrees(recorded.repo) == [str(recorded.repo)]


def test_a_folder_that_is_not_empty(invoke: Invoke, recorded: Recorded, tmp_path: Path) -> None:
    folder = tmp_path / "busy"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine")
    result = invoke("runs", "reproduce", recorded.run_id, "--dir", str(folder))
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {folder} exists and is not empty: pass another --dir, or remove it first\n"
    )
    assert os.listdir(folder) == ["keep.txt"] and worktrees(recorded.repo) == [str(recorded.repo)]


def test_a_dirty_run_without_its_diff_is_rebuilt_with_a_warning(
    invoke: Invoke, recorded: Recorded, tmp_path: Path
) -> None:
    run_id = record_run(recorded.repo, recorded.uri, TRACKLOG_CAPTURE_DIFF="0")
    folder = tmp_path / "f"
    result = invoke("runs", "reproduce", run_id, "--dir", str(folder))
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        f"warning: run {run_id} had uncommitted changes but saved no diff.patch (diff capture "
        f"was off, TRACKLOG_CAPTURE_DIFF=0): the worktree holds commit {recorded.commit[:12]} "
        "without them\n"
    )
    assert (folder / "train.py").read_text() == COMMITTED and not (folder / "helper.py").exists()


def test_reproduce_through_a_server(
    invoke: Invoke, recorded: Recorded, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket_server(f"sqlite:///{tmp_path}/served.db", tmp_path / "served") as server:
        run_id = record_run(recorded.repo, server.url, LR="0.3")
        monkeypatch.chdir(recorded.repo)
        folder = tmp_path / "f"
        result = invoke("--uri", server.url, "runs", "reproduce", run_id, "--dir", str(folder))
        assert result.exit_code == 0, result.output
        assert f"TRACKLOG_URI={server.url} TRACKLOG_REPRODUCE_FROM={run_id} python" in result.stdout
        assert (folder / "train.py").read_text() == DIRTY

        result = invoke("--uri", server.url, "runs", "reproduce", run_id, "--dir", str(folder))
        assert result.exit_code == 1 and "exists and is not empty" in result.stderr
        folder = tmp_path / "g"
        result = invoke(
            "--uri", server.url, "runs", "reproduce", run_id[:6], "--dir", str(folder), "--exec"
        )
        assert result.exit_code == 0, result.output
        api = tracklog.Api(server.url)
        (new,) = api.runs(filter=f"tags.reproduced_from = '{run_id}'")
        assert new.config == {"lr": 0.3, "steps": 4} and new.project == "repro"
        assert losses(server.url, new.id) == losses(server.url, run_id)


def test_the_rerun_gets_absolute_store_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TRACKLOG_ARTIFACTS", raising=False)
    assert child_environment("store", "r1") == {
        "TRACKLOG_URI": str(tmp_path / "store"),
        "TRACKLOG_REPRODUCE_FROM": "r1",
    }
    assert child_environment("sqlite:///rel.db", "r1")["TRACKLOG_URI"] == (
        f"sqlite:///{tmp_path / 'rel.db'}"
    )
    # A PostgreSQL store's artifact root does not follow from its URI: it travels too.
    assert child_environment("postgresql://u@db.lab/runs", "r1") == {
        "TRACKLOG_URI": "postgresql://u@db.lab/runs",
        "TRACKLOG_ARTIFACTS": str(tmp_path / "tracklog" / "artifacts"),
        "TRACKLOG_REPRODUCE_FROM": "r1",
    }
    with pytest.raises(InvalidValueError, match="unsupported scheme 'ftp'"):
        child_environment("ftp://host/x", "r1")


_COMMAND = {"environment": {"command": ["/usr/bin/python3", "train.py"]}}


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        (
            {"git": {"root": "/src/new", "commit": None}, **_COMMAND},
            "recorded no git commit: its repository had no commits yet",
        ),
        (
            {"git": {"commit": "a" * 40}, "environment": {"command": ["/usr/bin/python3"]}},
            "was started from an interactive Python or a notebook (/usr/bin/python3): there is "
            "no command to re-run",
        ),
        (
            {
                "git": {"commit": "a" * 40, "root": "/gone/repo", "remote_url": "https://h/r.git"},
                **_COMMAND,
            },
            "is not inside a git repository, and the run's repository (recorded at /gone/repo) "
            "is not on this machine: run this inside a clone of https://h/r.git",
        ),
    ],
    ids=["no-commits-yet", "interactive", "no-repository"],
)
def test_what_the_run_recorded_is_not_enough(
    invoke: Invoke, store: Store, tmp_path: Path, metadata: dict[str, object], message: str
) -> None:
    run = store.create_run("repro")
    store.update_run(run.id, metadata=metadata)
    result = invoke("runs", "reproduce", run.id)  # in tmp_path: no repository around
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert not [name for name in os.listdir(tmp_path) if "reproduce" in name]
