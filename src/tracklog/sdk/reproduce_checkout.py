"""Rebuilding a run's code from what capture recorded: a ``git worktree`` at the recorded
commit with ``diff.patch`` applied and ``requirements.txt`` written, and the command to re-run.

Everything that can be checked is checked before anything is made (the commit is there, the
folder is free, the patch applies to the commit), and a step that fails afterwards undoes the
worktree, so a failure leaves nothing behind.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from tracklog.errors import AlreadyExistsError, InvalidValueError, NotFoundError
from tracklog.sdk.capture import DIFF_ARTIFACT, REQUIREMENTS_ARTIFACT
from tracklog.sdk.reproduce import ENV_REPRODUCE_FROM
from tracklog.store.git_context import MLFLOW_SOURCE_NAME
from tracklog.store.location import ENV_ARTIFACTS, ENV_URI, is_server_uri, resolve
from tracklog.store.records import RunRecord

if TYPE_CHECKING:
    from tracklog.store.interface import TrackingStore

#: Where the recorded requirements go when the checkout has a ``requirements.txt`` of its own.
RECORDED_REQUIREMENTS = "requirements.recorded.txt"
_COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")  # SHA-1 or SHA-256 object names
_INCOMPLETE = b"# tracklog: this patch is incomplete"
_GIT_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Recipe:
    """What a run recorded that rebuilding it needs."""

    run: RunRecord
    commit: str
    subdir: str
    """The working directory's path inside the repository (``.`` for its root)."""
    recorded_root: str | None
    remote_url: str | None
    command: list[str]
    """The recorded command line, interpreter first (``sys.orig_argv``)."""
    dirty: bool
    patch: bytes | None
    requirements: bytes | None

    @property
    def warnings(self) -> list[str]:
        """What makes the rebuilt code differ from the run's, though it can be rebuilt."""
        out = []
        if self.dirty and self.patch is None:
            out.append(
                f"run {self.run.id} had uncommitted changes but saved no {DIFF_ARTIFACT} (diff "
                f"capture was off, TRACKLOG_CAPTURE_DIFF=0): the worktree holds commit "
                f"{self.commit[:12]} without them"
            )
        if self.patch is not None and self.patch.startswith(_INCOMPLETE):
            out.append(
                f"run {self.run.id}'s {DIFF_ARTIFACT} is incomplete (it was cut at "
                "diff_max_bytes): some uncommitted changes are missing from the worktree"
            )
        if self.requirements is None:
            out.append(
                f"run {self.run.id} saved no {REQUIREMENTS_ARTIFACT} (package capture was off, "
                "TRACKLOG_CAPTURE_PACKAGES=0): install the packages yourself"
            )
        return out


@dataclass(frozen=True)
class Checkout:
    """A prepared reproduction: the worktree, the folder to run in, the requirements file."""

    repo: Path
    worktree: Path
    workdir: Path
    requirements: Path | None


def read_recipe(store: TrackingStore, run: RunRecord) -> Recipe:
    """The commit, command and files ``run`` recorded; NotFoundError naming what is missing."""
    git: Mapping[str, Any] = run.metadata.get("git") or {}
    commit = git.get("commit")
    if not commit:
        why = (
            "its repository had no commits yet"
            if git.get("root")
            else "it was not started inside a git repository, or git capture was off "
            "(TRACKLOG_CAPTURE_GIT=0 or TRACKLOG_CAPTURE=0)"
        )
        raise NotFoundError(f"run {run.id} recorded no git commit: {why}")
    if not isinstance(commit, str) or not _COMMIT.fullmatch(commit):
        raise InvalidValueError(f"run {run.id} recorded {commit!r} as its commit: not a commit id")
    environment: Mapping[str, Any] = run.metadata.get("environment") or {}
    command = environment.get("command")
    script = run.tags.get(MLFLOW_SOURCE_NAME)
    if (not command or not isinstance(command, list)) and script:
        raise NotFoundError(
            f"run {run.id} was logged by the mlflow client, which records the script it ran "
            f"({MLFLOW_SOURCE_NAME} = {script}) but not its command line: check out commit "
            f"{commit} and run the script with its arguments yourself"
        )
    if not command or not isinstance(command, list):
        raise NotFoundError(
            f"run {run.id} recorded no command line: environment capture was off "
            "(TRACKLOG_CAPTURE_ENVIRONMENT=0 or TRACKLOG_CAPTURE=0)"
        )
    if len(command) == 1 or any("ipykernel" in str(arg) for arg in command):
        raise NotFoundError(
            f"run {run.id} was started from an interactive Python or a notebook "
            f"({' '.join(map(str, command))}): there is no command to re-run"
        )
    subdir = str(git.get("path") or ".")
    if PurePosixPath(subdir).is_absolute() or ".." in PurePosixPath(subdir).parts:
        raise InvalidValueError(f"run {run.id} recorded {subdir!r} as its path in the repository")
    files = {f.path for f in store.list_files(run.id)}
    return Recipe(
        run=run,
        commit=commit,
        subdir=subdir,
        recorded_root=git.get("root"),
        remote_url=git.get("remote_url"),
        command=[str(arg) for arg in command],
        dirty=bool(git.get("dirty")),
        patch=_file(store, run.id, DIFF_ARTIFACT) if DIFF_ARTIFACT in files else None,
        requirements=(
            _file(store, run.id, REQUIREMENTS_ARTIFACT) if REQUIREMENTS_ARTIFACT in files else None
        ),
    )


def _file(store: TrackingStore, run_id: str, name: str) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        try:
            return store.download_file(run_id, name, Path(tmp) / name).read_bytes()
        except NotFoundError:
            raise NotFoundError(
                f"run {run_id} lists {name} but the artifact store has no such file"
            ) from None


def find_repository(cwd: Path, recipe: Recipe) -> Path:
    """The repository to make the worktree in: the one around ``cwd``, else the one the run
    was recorded in, when it is on this machine. The commit must be in it."""
    if shutil.which("git") is None:
        raise NotFoundError("the git binary is not on PATH: reproducing a run needs git")
    repo = _toplevel(cwd)
    if repo is None and recipe.recorded_root:
        repo = _toplevel(Path(recipe.recorded_root))
    if repo is None:
        where = f" (recorded at {recipe.recorded_root})" if recipe.recorded_root else ""
        raise NotFoundError(
            f"{cwd} is not inside a git repository, and the run's repository{where} is not on "
            f"this machine: run this inside a clone of {recipe.remote_url or 'its repository'}"
        )
    if _git(repo, "cat-file", "-e", f"{recipe.commit}^{{commit}}").returncode != 0:
        fetch = f"git fetch {recipe.remote_url}" if recipe.remote_url else "git fetch --all"
        raise NotFoundError(
            f"commit {recipe.commit} of run {recipe.run.id} is not in the repository at {repo}: "
            f"fetch it ({fetch}) and try again, or run this inside the repository the run "
            f"came from{f' ({recipe.recorded_root})' if recipe.recorded_root else ''}"
        )
    return repo


def default_folder(repo: Path, run: RunRecord) -> Path:
    """Next to the repository (a worktree inside it would show up in its ``git status``)."""
    return repo.parent / f"{repo.name}-reproduce-{run.id[:8]}"


def check(repo: Path, recipe: Recipe, target: Path) -> None:
    """Refuse an occupied ``target`` and a patch that does not apply to the commit, before
    anything is made."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise AlreadyExistsError(
            f"{target} exists and is not empty: pass another --dir, or remove it first"
        )
    if recipe.patch is None:
        return
    # Apply to the commit's tree in a throwaway index: no work tree is touched.
    with tempfile.TemporaryDirectory() as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp, "index"))}
        read = _git(repo, "read-tree", recipe.commit, env=env)
        if read.returncode != 0:
            raise InvalidValueError(f"git read-tree {recipe.commit} failed: {_stderr(read)}")
        patch = Path(tmp, DIFF_ARTIFACT)
        patch.write_bytes(recipe.patch)
        applied = _git(repo, "apply", "--cached", "--check", str(patch), env=env)
        if applied.returncode != 0:
            raise InvalidValueError(
                f"run {recipe.run.id}'s {DIFF_ARTIFACT} does not apply to commit "
                f"{recipe.commit[:12]}: {_stderr(applied)}"
            )


def make_checkout(repo: Path, recipe: Recipe, target: Path) -> Checkout:
    """``git worktree add`` at the commit, apply the patch, write the requirements; on a
    failure the worktree is removed again. Call :func:`check` first."""
    added = _git(repo, "worktree", "add", "--quiet", "--detach", str(target), recipe.commit)
    if added.returncode != 0:
        raise InvalidValueError(f"git worktree add {target} failed: {_stderr(added)}")
    try:
        if recipe.patch is not None:
            with tempfile.TemporaryDirectory() as tmp:
                patch = Path(tmp, DIFF_ARTIFACT)
                patch.write_bytes(recipe.patch)
                applied = _git(target, "apply", "--whitespace=nowarn", str(patch))
            if applied.returncode != 0:
                raise InvalidValueError(
                    f"git apply {DIFF_ARTIFACT} in {target} failed: {_stderr(applied)}"
                )
        requirements = None
        if recipe.requirements is not None:
            requirements = target / REQUIREMENTS_ARTIFACT
            if requirements.exists():  # the project's own file: leave it as committed
                requirements = target / RECORDED_REQUIREMENTS
            requirements.write_bytes(recipe.requirements)
    except BaseException:
        _git(repo, "worktree", "remove", "--force", str(target))
        shutil.rmtree(target, ignore_errors=True)
        _git(repo, "worktree", "prune")
        raise
    return Checkout(repo, target, target / recipe.subdir, requirements)


def rerun_command(recipe: Recipe, checkout: Checkout, python: str) -> list[str]:
    """The recorded command with ``python`` as the interpreter, and absolute paths into the
    recorded repository moved into the worktree."""
    root = Path(recipe.recorded_root) if recipe.recorded_root else None
    args = [python]
    for arg in recipe.command[1:]:
        path = Path(arg)
        if root is not None and path.is_absolute() and path.is_relative_to(root):
            arg = str(checkout.worktree / path.relative_to(root))
        args.append(arg)
    return args


def child_environment(uri: str, run_id: str) -> dict[str, str]:
    """The variables that make the re-run log to store ``uri`` as a reproduction of
    ``run_id``; paths are absolute, since the re-run starts in another folder."""
    if is_server_uri(uri):
        return {ENV_URI: uri, ENV_REPRODUCE_FROM: run_id}
    location = resolve(uri)
    if "://" not in uri:
        env = {ENV_URI: str(Path(uri).expanduser().absolute())}
    else:
        env = {ENV_URI: location.db_url if location.sqlite_path is not None else uri}
    # Only where the artifact root does not follow from the URI (PostgreSQL, or set by hand).
    if location.sqlite_path is None or os.environ.get(ENV_ARTIFACTS):
        env[ENV_ARTIFACTS] = location.artifact_root
    return {**env, ENV_REPRODUCE_FROM: run_id}


def _toplevel(path: Path) -> Path | None:
    if not path.is_dir():
        return None
    done = _git(path, "rev-parse", "--show-toplevel")
    return Path(done.stdout.strip()) if done.returncode == 0 else None


def _git(
    cwd: Path, *args: str, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", **(env or {})}
    return subprocess.run(
        ["git", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=_GIT_TIMEOUT_S,
    )


def _stderr(done: subprocess.CompletedProcess[str]) -> str:
    lines = [line.strip() for line in done.stderr.strip().splitlines() if line.strip()]
    return "; ".join(lines[:3]) or f"exit code {done.returncode}"


def shell_line(env: Mapping[str, str], command: Sequence[str]) -> str:
    """``VAR=value ... command`` quoted for a POSIX shell."""
    return " ".join([*(f"{k}={shlex.quote(v)}" for k, v in env.items()), shlex.join(command)])
