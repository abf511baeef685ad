"""Git capture on real repositories: metadata, diff.patch that applies, and every degraded case."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from capture_helpers import git, make_repo, write

from tracklog.sdk.capture.git import collect_git
from tracklog.store.git_context import strip_credentials


@pytest.mark.parametrize(
    ("url", "clean"),
    [
        ("https://user:token@github.com/o/r.git", "https://github.com/o/r.git"),
        ("https://ghp_secret@github.com/o/r", "https://github.com/o/r"),
        ("http://u:p@host:8080/x?y=1", "http://host:8080/x?y=1"),
        ("https://github.com/o/r.git", "https://github.com/o/r.git"),
        ("ssh://git@host/o/r.git", "ssh://git@host/o/r.git"),
        ("ssh://git:pw@host:22/o/r.git", "ssh://git@host:22/o/r.git"),
        ("git@github.com:o/r.git", "git@github.com:o/r.git"),
        ("git:pw@github.com:o/r.git", "git@github.com:o/r.git"),
        ("/srv/git/r.git", "/srv/git/r.git"),
        ("file:///srv/git/r.git", "file:///srv/git/r.git"),
    ],
)
def test_strip_credentials(url: str, clean: str) -> None:
    assert strip_credentials(url) == clean


def test_clean_repository(repo: Path) -> None:
    git(repo, "remote", "add", "origin", "https://alice:s3cret@example.com/team/proj.git")
    git(repo, "remote", "add", "backup", "https://example.org/other.git")
    info = collect_git(repo)
    meta = info.metadata
    assert meta["commit"] == git(repo, "rev-parse", "HEAD").strip()
    assert meta["branch"] == "main"
    assert meta["dirty"] is False
    assert meta["remote"] == "origin"
    assert meta["remote_url"] == "https://example.com/team/proj.git"
    assert "s3cret" not in json.dumps(meta)
    assert meta["root"] == str(repo) and meta["path"] == "."
    assert info.diff == ""
    assert info.notes == []


def test_the_stores_own_files_are_not_changes(repo: Path) -> None:
    """A store inside the repository (the default ./tracklog) is not part of the code."""
    write(repo, {"tracklog/tracklog.db": "x", "tracklog/artifacts/1/a/diff.patch": "y"})
    info = collect_git(repo, exclude=[repo / "tracklog"])
    assert info.metadata["dirty"] is False and info.metadata["untracked_files"] == 0
    assert info.diff == ""
    write(repo, {"notes.txt": "mine\n"})
    info = collect_git(repo, exclude=[repo / "tracklog", repo.parent / "elsewhere"])
    assert info.metadata["untracked_files"] == 1
    assert "notes.txt" in (info.diff or "") and "tracklog/" not in (info.diff or "")


def test_detached_head_and_subdirectory(repo: Path) -> None:
    git(repo, "checkout", "-q", "--detach")
    info = collect_git(repo / "src")
    assert info.metadata["branch"] is None and info.metadata["detached"] is True
    assert info.metadata["path"] == "src"


def test_dirty_repository_patch_recreates_the_work_tree(repo: Path, tmp_path: Path) -> None:
    write(
        repo,
        {
            "gone.txt": "to be deleted\n",
            "old_name.txt": "renamed later\n" * 5,
            "image.bin": b"\x89PNG\0\0binary",
            "staged_then_edited.py": "a = 1\n",
        },
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "more")
    # The user's diff settings must not change the patch's format.
    git(repo, "config", "diff.noprefix", "true")
    git(repo, "config", "diff.relative", "true")
    git(repo, "config", "color.ui", "always")
    write(repo, {"README.md": "hello\nstaged line\n", "src/app.py": "print(2)\n"})
    git(repo, "add", "README.md")  # staged; src/app.py stays unstaged
    write(repo, {"staged_then_edited.py": "a = 2\n"})
    git(repo, "add", "staged_then_edited.py")
    write(repo, {"staged_then_edited.py": "a = 3\n"})  # staged and unstaged changes
    (repo / "gone.txt").unlink()
    git(repo, "mv", "old_name.txt", "new_name.txt")
    write(repo, {"image.bin": b"\x89PNG\0\0changed"})
    untracked = {
        "notes/todo.md": "- write tests\n",
        "name with spaces.txt": "spaces\n",
        "ünïcode.txt": "unicode name\n",
        "no_newline.txt": "last line has no newline",
        "crlf.txt": "windows\r\nline\r\n",
        "empty.txt": "",
        "run.sh": "#!/bin/sh\necho hi\n",
        "data.bin": b"\0\1\2\3" * 100,
    }
    write(repo, untracked)
    (repo / "run.sh").chmod(0o755)
    os.symlink("notes/todo.md", repo / "link_to_todo")

    info = collect_git(repo / "src")  # from a subdirectory: the patch still covers the repo
    meta = info.metadata
    assert meta["dirty"] is True
    assert meta["changed_files"] == 6  # a rename counts once
    assert meta["untracked_files"] == len(untracked) + 1
    patch = info.diff
    assert patch is not None and "\x1b[" not in patch
    # Binary files stay out (git apply refuses a patch naming them); notes name them.
    assert "image.bin" not in patch and "data.bin" not in patch
    assert any("untracked binary" in n and "data.bin" in n for n in info.notes)
    assert any("changed binary" in n and "image.bin" in n for n in info.notes)

    # Apply it to a fresh clone of the commit: every text file comes out as in the work tree.
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(repo), str(clone))
    (tmp_path / "diff.patch").write_bytes(patch.encode("utf-8", "surrogateescape"))
    git(clone, "apply", "--index", "--whitespace=nowarn", str(tmp_path / "diff.patch"))
    for path in repo.rglob("*"):
        rel = path.relative_to(repo)
        if ".git" in rel.parts or path.is_dir() or rel.name == "data.bin":
            continue
        if rel.name == "image.bin":  # left as committed
            assert (clone / rel).read_bytes() == b"\x89PNG\0\0binary"
            continue
        twin = clone / rel
        if path.is_symlink():
            assert os.readlink(twin) == os.readlink(path)
            continue
        assert twin.read_bytes() == path.read_bytes(), rel
        assert os.access(twin, os.X_OK) == os.access(path, os.X_OK), rel
    assert not (clone / "gone.txt").exists() and not (clone / "old_name.txt").exists()
    assert not (clone / "data.bin").exists()


def test_huge_diff_is_cut_at_a_file_boundary(tmp_path: Path) -> None:
    big = "".join(f"line {i} of a large tracked file\n" for i in range(300_000))  # ~10 MB
    repo = make_repo(tmp_path / "repo", {"a_small.txt": "small\n", "b_big.txt": big})
    write(repo, {"a_small.txt": "small, edited\n", "b_big.txt": big.replace("line", "LINE")})
    write(repo, {"untracked.txt": "new\n"})
    started = time.perf_counter()
    info = collect_git(repo, max_bytes=50_000)
    elapsed = time.perf_counter() - started
    patch = info.diff
    assert patch is not None
    assert patch.startswith("# tracklog: this patch is incomplete")
    body = patch.split("\n", 1)[1]
    assert len(body.encode()) <= 50_000
    assert "a_small.txt" in body and "b_big.txt" not in body and "untracked.txt" not in body
    assert any("cut to" in n and "diff_max_bytes=50000" in n for n in info.notes)
    # git is stopped once the cap is read, not left to write 20 MB into memory.
    assert elapsed < 30, elapsed
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(repo), str(clone))
    (tmp_path / "p").write_text(patch)
    git(clone, "apply", str(tmp_path / "p"))  # the header line is skipped by git apply
    assert (clone / "a_small.txt").read_text() == "small, edited\n"


def test_untracked_files_over_the_cap_are_named(repo: Path) -> None:
    write(repo, {"a.txt": "a" * 300 + "\n", "b.txt": "b" * 5_000 + "\n", "c.txt": "c\n"})
    info = collect_git(repo, max_bytes=1_000)
    assert "a.txt" in info.diff and "c.txt" in info.diff and "b.txt" not in info.diff
    assert any("1 untracked file(s) left out" in n and "b.txt" in n for n in info.notes)


def test_diff_switched_off(repo: Path) -> None:
    write(repo, {"README.md": "changed\n"})
    info = collect_git(repo, diff=False)
    assert info.diff is None and info.metadata["dirty"] is True


def test_repository_without_commits(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "fresh")
    write(repo, {"staged.py": "x = 1\n", "untracked.txt": "u\n"})
    git(repo, "add", "staged.py")
    write(repo, {"staged.py": "x = 2\n"})
    info = collect_git(repo)
    meta = info.metadata
    assert meta["commit"] is None and meta["branch"] == "main" and meta["dirty"] is True
    assert any("no commits yet" in n for n in info.notes)
    # The patch rebuilds the work tree in an empty repository.
    target = make_repo(tmp_path / "target")
    (tmp_path / "p").write_text(info.diff)
    git(target, "apply", str(tmp_path / "p"))
    assert (target / "staged.py").read_text() == "x = 2\n"
    assert (target / "untracked.txt").read_text() == "u\n"


def test_outside_a_repository(tmp_path: Path) -> None:
    info = collect_git(tmp_path)
    assert info.metadata == {} and info.diff is None
    assert len(info.notes) == 1 and "not a git repository" in info.notes[0]


def test_missing_work_dir(tmp_path: Path) -> None:
    info = collect_git(tmp_path / "deleted")
    assert info.metadata == {} and info.notes


def test_without_the_git_binary(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    info = collect_git(repo)
    assert info.metadata == {} and info.diff is None
    assert info.notes == ["git: the git binary is not on PATH; no git info"]


_CHILD = """
import json, sys
from tracklog.sdk.capture.git import collect_git
info = collect_git(sys.argv[1])
print(json.dumps({"meta": info.metadata, "diff": info.diff, "notes": info.notes}))
"""


def _as_nobody() -> list[str] | None:
    """A command prefix that drops root to 'nobody', where permissions bind; None if we can't."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    return [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]


def test_files_without_read_permission() -> None:
    """Unreadable tracked and untracked files become notes; the rest of the diff survives.

    Root reads files whatever their mode, so as root the capture runs in a child process that
    drops to user 'nobody' (setpriv); only without setpriv is the test skipped.
    """
    prefix = _as_nobody()
    if prefix is None:
        pytest.skip("running as root without setpriv: chmod 000 does not stop root's reads")
    if prefix:
        probe = [*prefix, sys.executable, "-c", "import tracklog.sdk.capture.git"]
        if subprocess.run(probe, capture_output=True, timeout=60).returncode != 0:
            pytest.skip("running as root, and user 'nobody' cannot run this Python and tracklog")
    base = Path(tempfile.mkdtemp(prefix="tracklog-perm-"))
    try:
        base.chmod(0o755)  # the child (nobody) must reach the repository
        repo = make_repo(base / "repo", {"locked.txt": "one\n", "open.txt": "x\n"})
        write(repo, {"locked.txt": "one\ntwo\n", "open.txt": "x\ny\n", "secret.txt": "s\n"})
        write(repo, {"dir/inner.txt": "inner\n", "visible.txt": "v\n"})
        if prefix:  # the repository belongs to nobody, the locked files to root
            subprocess.run(["chown", "-R", "65534:65534", str(repo)], check=True)
            for name in ("locked.txt", "secret.txt", "dir"):
                os.chown(repo / name, 0, 0)
        for name in ("locked.txt", "secret.txt"):
            (repo / name).chmod(0)
        (repo / "dir").chmod(0)
        env = {**os.environ, "HOME": str(base)}
        done = subprocess.run(
            [*prefix, sys.executable, "-c", _CHILD, str(repo)],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout)
        assert result["meta"]["commit"] and result["meta"]["dirty"] is True
        diff, notes = result["diff"], result["notes"]
        assert "open.txt" in diff and "+y" in diff and "visible.txt" in diff
        assert "locked.txt" not in diff and "secret.txt" not in diff
        assert any("could not be read" in n and "locked.txt" in n for n in notes), notes
        assert any("could not be read" in n and "secret.txt" in n for n in notes), notes
    finally:
        for path in base.rglob("*"):
            if not path.is_symlink():
                path.chmod(stat.S_IRWXU)
        shutil.rmtree(base)
