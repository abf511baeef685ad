"""The git state of a run's working directory, read with the ``git`` binary.

Nothing here raises: outside a repository, without commits, without ``git``, or with files that
cannot be read, it returns what it could get and a note for each thing it could not.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracklog.store.git_context import strip_credentials

GIT_TIMEOUT_S = 5.0
MAX_UNTRACKED_FILES = 2_000  # past this many, opening every file would slow init down
_BINARY_PROBE = 8_000  # git's own heuristic: a NUL byte in the first 8000 bytes means binary
# Options that make the patch independent of the user's diff configuration (prefixes, colours,
# external drivers, paths relative to a subdirectory), so ``git apply`` at the root takes it.
_DIFF_CONFIG = (
    "-c",
    "diff.noprefix=false",
    "-c",
    "diff.mnemonicPrefix=false",
    "-c",
    "diff.relative=false",
    "-c",
    "core.quotePath=true",
)
_DIFF_OPTIONS = (
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--src-prefix=a/",
    "--dst-prefix=b/",
)


@dataclass
class GitInfo:
    """What ``collect_git`` found: metadata for the run, the diff text, and notes."""

    metadata: dict[str, Any] = field(default_factory=dict)
    diff: str | None = None
    notes: list[str] = field(default_factory=list)


def collect_git(
    workdir: str | os.PathLike[str],
    *,
    diff: bool = True,
    max_bytes: int = 1_000_000,
    timeout_s: float = GIT_TIMEOUT_S,
    exclude: Iterable[str | os.PathLike[str]] = (),
) -> GitInfo:
    """Commit, branch, remote, dirty flag and (with ``diff``) the uncommitted changes.

    The diff holds staged and unstaged changes to tracked files (``git diff HEAD``) and untracked
    text files as new-file patches; binary files are left out (``git apply`` would refuse the
    patch) and named in ``notes``. It is cut at ``max_bytes`` at a file boundary, with a line
    saying so at its top and a note. Untracked files inside the ``exclude`` folders (the
    store's own) neither make the tree dirty nor enter the diff.
    """
    capture = GitCapture(
        workdir, diff=diff, max_bytes=max_bytes, timeout_s=timeout_s, exclude=exclude
    )
    return capture.result()


class GitCapture:
    """``collect_git`` in two halves: the constructor starts the git commands, ``result()``
    reads them; in between, the caller can do other work while git runs."""

    def __init__(
        self,
        workdir: str | os.PathLike[str],
        *,
        diff: bool = True,
        max_bytes: int = 1_000_000,
        timeout_s: float = GIT_TIMEOUT_S,
        exclude: Iterable[str | os.PathLike[str]] = (),
    ) -> None:
        self.cwd = cwd = Path(workdir)
        self.exclude = [Path(p) for p in exclude]
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s
        self._info: GitInfo | None = None
        if shutil.which("git") is None:
            self._info = GitInfo(notes=["git: the git binary is not on PATH; no git info"])
            return
        # The commands are independent: start them together, so capture waits for the
        # slowest instead of the sum (each costs a process start).
        self.top = _Git(["rev-parse", "--show-toplevel"], cwd, timeout_s)
        self.status = _Git(
            ["status", "--porcelain=v2", "--branch", "-z", "--untracked-files=all"], cwd, timeout_s
        )
        self.remotes = _Git(["config", "--get-regexp", r"^remote\..*\.url$"], cwd, timeout_s)
        diff_args = [*_DIFF_CONFIG, "diff", "HEAD", *_DIFF_OPTIONS]
        self.tracked = _Git(diff_args, cwd, timeout_s, max_bytes + 1) if diff else None

    def result(self) -> GitInfo:
        """Wait for the commands and put together what they said."""
        if self._info is None:
            self._info = self._collect()
        return self._info

    def _collect(self) -> GitInfo:
        info = GitInfo()
        cwd, timeout_s, max_bytes = self.cwd, self.timeout_s, self.max_bytes
        top, status, remotes, tracked = self.top, self.status, self.remotes, self.tracked
        top_out = top.result()
        if top_out.code != 0:
            status.result(), remotes.result()
            if tracked is not None:
                tracked.result()
            info.notes.append(f"git: {_why(top_out, 'not in a git work tree')}; no git info")
            return info
        root = Path(os.fsdecode(top_out.out.strip()))
        meta = info.metadata
        meta["root"] = str(root)
        try:
            meta["path"] = Path(os.path.relpath(cwd.resolve(), root.resolve())).as_posix()
        except ValueError:  # another drive on Windows
            meta["path"] = "."

        st = status.result()
        changed: list[str] = []
        untracked: list[str] = []
        if st.code == 0:
            entries = _parse_status(st.out)
            oid, head = entries["oid"], entries["head"]
            meta["commit"] = None if oid in (None, "(initial)") else oid
            meta["branch"] = None if head in (None, "(detached)") else head
            meta["detached"] = head == "(detached)"
            changed = entries["changed"]
            untracked = _outside(entries["untracked"], root, self.exclude)
            meta["dirty"] = bool(changed or untracked)
            meta["changed_files"] = len(changed)
            meta["untracked_files"] = len(untracked)
            if meta["commit"] is None:
                info.notes.append("git: the repository has no commits yet; no commit to record")
        else:
            info.notes.append(f"git: status failed ({_why(st, 'no output')}); no commit/dirty info")

        rem = remotes.result()
        if rem.code == 0:
            urls = {}
            for line in os.fsdecode(rem.out).splitlines():
                key, _, url = line.partition(" ")
                urls[key[len("remote.") : -len(".url")]] = url
            if urls:
                name = "origin" if "origin" in urls else sorted(urls)[0]
                meta["remote"] = name
                meta["remote_url"] = strip_credentials(urls[name])

        if tracked is not None:
            diff_run = _DiffRun(tracked, cwd, timeout_s, max_bytes)
            info.diff = _build_diff(info, diff_run, root, changed, untracked)
        return info


def _outside(paths: list[str], root: Path, folders: list[Path]) -> list[str]:
    """The repository-relative ``paths`` that are not inside any of ``folders``."""
    top = root.resolve()
    prefixes = []
    for folder in folders:
        try:
            prefixes.append(folder.resolve().relative_to(top).as_posix() + "/")
        except ValueError:
            continue  # a folder outside the repository holds none of its files
    if not prefixes:
        return paths
    return [p for p in paths if not any(p.startswith(pre) for pre in prefixes)]


@dataclass
class _Output:
    code: int
    out: bytes
    err: bytes
    cut: bool = False


class _Git:
    """One git command started now, with a timeout, optionally reading at most ``limit`` bytes."""

    def __init__(
        self, args: list[str], cwd: Path, timeout_s: float, limit: int | None = None
    ) -> None:
        env = {
            **os.environ,
            "GIT_OPTIONAL_LOCKS": "0",  # never take index.lock: the user's git may be running
            "GIT_TERMINAL_PROMPT": "0",
            "LC_ALL": "C",  # notes quote git's messages; keep them in one language
        }
        self.args = args
        self.limit = limit
        self.timeout_s = timeout_s
        self.timed_out = False
        self._done: _Output | None = None
        try:
            self.proc: subprocess.Popen[bytes] | None = subprocess.Popen(
                ["git", *args],
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        except OSError as exc:
            self.proc = None
            self._done = _Output(-1, b"", str(exc).encode())

    def result(self) -> _Output:
        if self._done is not None:
            return self._done
        proc = self.proc
        assert proc is not None
        if self.limit is None:
            try:
                out, err = proc.communicate(timeout=self.timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
                out, err, self.timed_out = b"", b"", True
            self._done = _Output(-2 if self.timed_out else proc.returncode, out, err)
            return self._done
        # Read at most ``limit`` bytes, so a huge diff never lands in memory whole.
        timer = threading.Timer(self.timeout_s, self._kill)
        timer.start()
        stdout, stderr = proc.stdout, proc.stderr
        assert stdout is not None and stderr is not None
        err_chunks: list[bytes] = []
        # Drain stderr meanwhile, or a chatty git could block on it while we read stdout.
        reader = threading.Thread(target=lambda: err_chunks.append(stderr.read()), daemon=True)
        reader.start()
        try:
            out = stdout.read(self.limit)
            cut = len(out) >= self.limit
            if cut:
                proc.kill()
            stdout.close()
            proc.wait()
            reader.join()
        finally:
            timer.cancel()
        code = -2 if self.timed_out else (0 if cut else proc.returncode)
        self._done = _Output(code, out, b"".join(err_chunks), cut)
        return self._done

    def _kill(self) -> None:
        self.timed_out = True
        if self.proc is not None:
            self.proc.kill()


def _why(result: _Output, default: str) -> str:
    if result.code == -2:
        return "timed out"
    text = os.fsdecode(result.err).strip().splitlines()
    return text[0].removeprefix("fatal: ") if text else default


def _parse_status(raw: bytes) -> dict[str, Any]:
    """Branch, commit, changed tracked paths and untracked paths from porcelain v2 ``-z``."""
    oid = head = None
    changed: list[str] = []
    untracked: list[str] = []
    fields = raw.split(b"\0")
    i = 0
    while i < len(fields):
        entry = os.fsdecode(fields[i])
        i += 1
        if entry.startswith("# branch.oid "):
            oid = entry[len("# branch.oid ") :]
        elif entry.startswith("# branch.head "):
            head = entry[len("# branch.head ") :]
        elif entry.startswith("1 "):
            changed.append(entry.split(" ", 8)[-1])
        elif entry.startswith("2 "):
            changed.append(entry.split(" ", 9)[-1])
            i += 1  # a rename or copy is followed by its original path
        elif entry.startswith("u "):
            changed.append(entry.split(" ", 10)[-1])
        elif entry.startswith("? "):
            untracked.append(entry[2:])
    return {"oid": oid, "head": head, "changed": changed, "untracked": untracked}


class _DiffRun:
    """The tracked changes as a patch: ``git diff HEAD`` (started early), or again leaving out
    unreadable files, or index and work tree separately in a repository without commits."""

    def __init__(self, first: _Git, cwd: Path, timeout_s: float, max_bytes: int) -> None:
        self.first = first
        self.cwd = cwd
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes

    def run(self, unborn: bool, exclude: list[str]) -> _Output:
        first = self.first.result()  # always collected, so no process is left behind
        if not unborn and not exclude:
            return first
        spec = ["--", ":(top)", *(f":(top,exclude,literal){p}" for p in exclude)]
        limit = self.max_bytes + 1
        if not unborn:
            return self._git(["HEAD"], spec, limit)
        # No HEAD yet: the staged files against nothing, then the unstaged changes.
        staged = self._git(["--cached"], spec, limit)
        unstaged = self._git([], spec, max(1, limit - len(staged.out)))
        ok = staged.code == 0 and unstaged.code == 0
        return _Output(
            0 if ok else (staged.code or unstaged.code),
            staged.out + unstaged.out,
            staged.err + unstaged.err,
        )

    def _git(self, what: list[str], spec: list[str], limit: int) -> _Output:
        args = [*_DIFF_CONFIG, "diff", *what, *_DIFF_OPTIONS, *spec]
        return _Git(args, self.cwd, self.timeout_s, limit).result()


def _build_diff(
    info: GitInfo, diff_run: _DiffRun, root: Path, changed: list[str], untracked: list[str]
) -> str | None:
    """The tracked changes plus untracked text files, within ``max_bytes``."""
    notes = info.notes
    max_bytes = diff_run.max_bytes
    unborn = "commit" in info.metadata and info.metadata["commit"] is None
    result = diff_run.run(unborn, [])
    if result.code > 0:
        # git stops at the first file it cannot read: leave those out and try once more.
        unreadable = [p for p in changed if _unreadable(root / p)]
        if unreadable:
            notes.append(
                f"git: {len(unreadable)} changed tracked file(s) could not be read, left out "
                f"of diff.patch: {', '.join(repr(p) for p in unreadable[:5])}"
            )
            result = diff_run.run(unborn, unreadable)
    if result.code != 0:
        notes.append(f"git: diff failed ({_why(result, 'no output')}); tracked changes left out")
        patch, cut = b"", False
    else:
        patch, cut = _cut_at_file(result.out, max_bytes)
        if cut:
            kept = patch.count(b"diff --git ")
            notes.append(
                f"git: diff.patch cut to {len(patch)} bytes (diff_max_bytes={max_bytes}): tracked "
                f"changes after the first {kept} file(s) and all untracked files left out"
            )
    patch, binary = _drop_binary(patch)
    if binary:
        notes.append(
            f"git: {len(binary)} changed binary file(s) left out of diff.patch, first {binary[0]}"
        )
    left: list[str] = []
    if not cut:
        extra, left = _untracked_patches(root, untracked, max_bytes - len(patch), notes)
        patch += extra
        if left:
            notes.append(
                f"git: diff.patch would exceed diff_max_bytes={max_bytes}: {len(left)} "
                f"untracked file(s) left out, first {left[0]!r}"
            )
    if cut or left:
        header = (
            f"# tracklog: this patch is incomplete (diff_max_bytes={max_bytes}); see the run's "
            "capture notes\n"
        )
        patch = header.encode() + patch  # git apply skips text before the first diff header
    # Bytes that are not UTF-8 (a Latin-1 source file) survive as surrogate escapes, so the
    # patch round-trips exactly when written back with errors="surrogateescape".
    return patch.decode("utf-8", "surrogateescape")


def _drop_binary(patch: bytes) -> tuple[bytes, list[str]]:
    """The patch without "Binary files ... differ" sections, which ``git apply`` rejects."""
    if b"\nBinary files " not in patch:
        return patch, []
    kept: list[bytes] = []
    dropped: list[str] = []
    for section in re.split(rb"(?=^diff --git )", patch, flags=re.MULTILINE):
        at = section.find(b"\nBinary files ")
        if at < 0:
            kept.append(section)
            continue
        line = section[at + 1 :].split(b"\n", 1)[0]
        dropped.append(repr(line.decode("utf-8", "replace")))
    return b"".join(kept), dropped


def _unreadable(path: Path) -> bool:
    try:
        with open(path, "rb"):
            return False
    except FileNotFoundError:  # deleted: git diff can say so without reading it
        return False
    except IsADirectoryError:
        return False
    except OSError:
        return True


def _cut_at_file(out: bytes, max_bytes: int) -> tuple[bytes, bool]:
    """``out`` if it fits, else its longest prefix of whole file sections within ``max_bytes``."""
    if len(out) <= max_bytes:
        return out, False
    end = out.rfind(b"\ndiff --git ", 0, max_bytes + 1)
    return (out[: end + 1] if end >= 0 else b""), True


def _untracked_patches(
    root: Path, paths: list[str], budget: int, notes: list[str]
) -> tuple[bytes, list[str]]:
    """New-file patches for untracked text files within ``budget`` bytes; the rest returned."""
    chunks: list[bytes] = []
    skipped_binary: list[str] = []
    unreadable: list[str] = []
    left: list[str] = []
    for n, rel in enumerate(paths):
        if n >= MAX_UNTRACKED_FILES or budget <= 0:
            left.extend(paths[n:])
            break
        path = root / rel
        try:
            if path.is_symlink():
                target = os.fsencode(os.readlink(path))
                patch = _new_file_patch(rel, target, "120000")
            elif path.is_dir():  # a nested repository shows as "dir/"
                notes.append(f"git: untracked nested repository {rel!r} left out of diff.patch")
                continue
            else:
                with open(path, "rb") as f:
                    data = f.read(budget + 1)
                if b"\0" in data[:_BINARY_PROBE]:
                    skipped_binary.append(rel)
                    continue
                if len(data) > budget:
                    left.append(rel)
                    continue
                mode = "100755" if os.access(path, os.X_OK) else "100644"
                patch = _new_file_patch(rel, data, mode)
        except OSError as exc:
            unreadable.append(f"{rel} ({exc.strerror or exc})")
            continue
        if len(patch) > budget:
            left.append(rel)
            continue
        chunks.append(patch)
        budget -= len(patch)
    if skipped_binary:
        notes.append(
            f"git: {len(skipped_binary)} untracked binary file(s) left out of diff.patch, "
            f"first {skipped_binary[0]!r}"
        )
    if unreadable:
        notes.append(
            f"git: {len(unreadable)} untracked file(s) could not be read, left out of "
            f"diff.patch: {', '.join(unreadable[:5])}"
        )
    return b"".join(chunks), left


def _new_file_patch(rel: str, data: bytes, mode: str) -> bytes:
    """A git-style patch creating ``rel`` with ``data``, which ``git apply`` accepts."""
    a, b = _quote("a/" + rel), _quote("b/" + rel)
    head = f"diff --git {a} {b}\nnew file mode {mode}\n".encode()
    if not data:
        return head
    lines = data.split(b"\n")
    complete = lines[-1] == b""
    if complete:
        lines.pop()
    count = len(lines)
    hunk = b"@@ -0,0 +1 @@\n" if count == 1 else f"@@ -0,0 +1,{count} @@\n".encode()
    body = b"".join(b"+" + line + b"\n" for line in lines)
    if not complete:
        body += b"\\ No newline at end of file\n"
    return head + f"--- /dev/null\n+++ {b}\n".encode() + hunk + body


def _quote(name: str) -> str:
    """A path as git writes it in patch headers: C-quoted when it has unusual characters."""
    raw = os.fsencode(name)
    if all(0x20 < c < 0x7F and c not in (0x22, 0x5C) for c in raw):
        return name
    escapes = {0x22: '\\"', 0x5C: "\\\\", 0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r"}
    out = []
    for c in raw:
        if c in escapes:
            out.append(escapes[c])
        elif 0x20 <= c < 0x7F:
            out.append(chr(c))
        else:
            out.append(f"\\{c:03o}")
    return '"' + "".join(out) + '"'
