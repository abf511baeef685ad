"""The git tags the mlflow client sets on a run (``mlflow.source.git.commit``, ...) fill the
same git context a native run records, so ``runs diff`` and ``runs reproduce`` see it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from click.testing import CliRunner

import tracklog
from tracklog.cli.main import cli

SCRIPT = textwrap.dedent(
    """
    import sys
    import mlflow

    mlflow.set_experiment("from-git")
    with mlflow.start_run(run_name=sys.argv[1]) as run:
        mlflow.log_param("lr", sys.argv[1])
    print(run.info.run_id)
    """
)


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def _repository(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.email", "t@example.com")
    _git(repo, "config", "user.name", "t")
    _git(repo, "remote", "add", "origin", "https://alice:s3cret@git.example.com/team/repo.git")
    (repo / "train.py").write_text(SCRIPT)
    _git(repo, "add", "train.py")
    _git(repo, "commit", "-q", "-m", "first")
    return repo


def _run(repo: Path, uri: str, name: str) -> str:
    env = {**os.environ, "MLFLOW_TRACKING_URI": uri}
    done = subprocess.run(
        [sys.executable, "train.py", name], cwd=repo, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def test_mlflow_source_tags_become_the_runs_git_context(mlflow_uri: str, tmp_path: Path) -> None:
    repo = _repository(tmp_path)
    first = _run(repo, mlflow_uri, "0.1")
    commit = _git(repo, "rev-parse", "HEAD")
    git = tracklog.Api(mlflow_uri).run(first).metadata["git"]
    assert git["commit"] == commit
    assert git["branch"] == "main"
    assert git["remote_url"] == "https://git.example.com/team/repo.git"  # no credentials
    assert git["source"] == "mlflow tags"

    (repo / "train.py").write_text(SCRIPT + "\n# changed\n")
    _git(repo, "commit", "-q", "-am", "second")
    second = _run(repo, mlflow_uri, "0.2")
    diff = CliRunner().invoke(cli, ["--uri", mlflow_uri, "runs", "diff", first, second])
    assert diff.exit_code == 0, diff.output
    assert commit[:12] in diff.output and _git(repo, "rev-parse", "HEAD")[:12] in diff.output


def test_reproducing_an_mlflow_run_names_what_is_missing(mlflow_uri: str, tmp_path: Path) -> None:
    repo = _repository(tmp_path)
    run = _run(repo, mlflow_uri, "0.1")
    done = CliRunner().invoke(cli, ["--uri", mlflow_uri, "runs", "reproduce", run])
    assert done.exit_code == 1
    assert "not started inside a git repository" not in done.output
    assert "mlflow.source.name" in done.output and "train.py" in done.output


def test_git_tags_set_one_at_a_time_add_up(mlflow_uri: str) -> None:
    api = tracklog.Api(mlflow_uri)
    import mlflow

    client = mlflow.MlflowClient(mlflow_uri)
    exp = client.create_experiment("kept")
    run = client.create_run(exp, tags={"mlflow.source.git.commit": "a" * 40})
    client.set_tag(run.info.run_id, "mlflow.source.git.branch", "dev")
    git = api.run(run.info.run_id).metadata["git"]
    assert git == {"commit": "a" * 40, "branch": "dev", "source": "mlflow tags"}


def test_a_runs_own_git_capture_wins_over_tags(mlflow_uri: str) -> None:
    import mlflow

    from tracklog.client.remote import RemoteStore

    store = RemoteStore(mlflow_uri)
    run = store.create_run("captured")
    own = {"commit": "b" * 40, "branch": "main", "root": "/src/repo", "dirty": False}
    store.update_run(run.id, metadata={"git": own})
    mlflow.MlflowClient(mlflow_uri).set_tag(run.id, "mlflow.source.git.commit", "c" * 40)
    assert store.get_run(run.id).metadata["git"] == own
    assert store.get_run(run.id).tags["mlflow.source.git.commit"] == "c" * 40
