"""Console capture: a tee of ``sys.stdout`` and ``sys.stderr`` into ``output.log``.

The tee sits at the Python level: it replaces the ``sys.stdout``/``sys.stderr`` objects with
wrappers that write to the original stream first (so the terminal sees everything, and
``isatty()``, colours and progress bars behave as without tracklog) and then to the log. Output
that bypasses ``sys.stdout`` is not captured: C extensions or child processes writing to file
descriptor 1 or 2 directly, and ``os.write(1, ...)``. An fd-level pipe would catch those but turn
the terminal into a pipe for the whole process and lose output if its reader thread stalls; we
chose the Python level for being safe to leave on by default.

In the log, carriage-return rewrites are collapsed: the text after the last ``\\r`` of a line
replaces the line, so a progress bar leaves only its final state. Complete lines are written and
flushed one by one, so the file can be streamed while the run runs.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import sys
import threading
import weakref
from pathlib import Path
from types import TracebackType
from typing import IO, Any

MAX_PENDING_CHARS = 1 << 20  # a "line" that never ends is written out past this size

_active: weakref.WeakSet[_LineLog] = weakref.WeakSet()
_fork_hook_installed = False


class ConsoleCapture:
    """Tee stdout and stderr into ``path`` between ``start()`` and ``stop()``."""

    def __init__(self, path: str | os.PathLike[str], *, stdout: bool = True, stderr: bool = True):
        self.path = Path(path)
        self.notes: list[str] = []
        self._which = [n for n, on in (("stdout", stdout), ("stderr", stderr)) if on]
        self._log: _LineLog | None = None
        self._tees: dict[str, _Tee] = {}
        self._handlers: list[tuple[Any, Any]] = []

    @property
    def active(self) -> bool:
        return self._log is not None

    def start(self) -> ConsoleCapture:
        """Install the tee (opening ``path`` for appending); idempotent."""
        if self._log is not None:
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Held open for the run's lifetime and closed by stop(), so no ``with`` block.
        file = open(self.path, "a", encoding="utf-8", errors="replace", newline="")  # noqa: SIM115
        self._log = _LineLog(file)
        _install_fork_hook()
        _active.add(self._log)
        for name in self._which:
            stream = getattr(sys, name)
            if stream is None:  # pythonw and some services have no console at all
                continue
            tee = _Tee(stream, self._log, name)
            self._tees[name] = tee
            setattr(sys, name, tee)
        self._retarget_logging()
        return self

    def stop(self) -> None:
        """Restore the original streams, write any unfinished line and close the log."""
        log = self._log
        if log is None:
            return
        self._log = None
        for name, tee in self._tees.items():
            tee._log = None  # anyone still holding the tee now writes to the terminal only
            if getattr(sys, name) is tee:
                setattr(sys, name, tee._stream)
            else:  # replaced after us (e.g. by another tee): leave theirs, ours passes through
                self.notes.append(f"console: sys.{name} was replaced during the run; left as is")
        for handler, original in self._handlers:
            if getattr(handler, "stream", None) in self._tees.values():
                handler.setStream(original)
        self._tees = {}
        self._handlers = []
        log.close()
        if log.error is not None:
            self.notes.append(f"console: output.log stopped early: {log.error}")

    def _retarget_logging(self) -> None:
        """Point logging handlers made before ``start()`` at the tee too.

        ``logging.basicConfig()`` keeps its own reference to the old ``sys.stderr``; without
        this, log records, often the most useful output of a run, would not be captured.
        """
        logging = sys.modules.get("logging")
        if logging is None:
            return
        by_stream = {id(t._stream): t for t in self._tees.values()}
        loggers = [logging.getLogger()]
        loggers += [
            lg for lg in list(logging.Logger.manager.loggerDict.values()) if hasattr(lg, "handlers")
        ]
        for lg in loggers:
            for handler in list(lg.handlers):
                stream = getattr(handler, "stream", None)
                if isinstance(handler, logging.StreamHandler) and id(stream) in by_stream:
                    handler.setStream(by_stream[id(stream)])
                    self._handlers.append((handler, stream))

    def __enter__(self) -> ConsoleCapture:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class _LineLog:
    """The log file, fed by both streams: collapses ``\\r`` rewrites, writes whole lines."""

    def __init__(self, file: IO[str]) -> None:
        self._file = file
        self._lock = threading.RLock()
        self._lines: dict[str, str] = {}  # each stream's unfinished line
        self._cr: dict[str, bool] = {}  # a "\r" seen; the next text starts the line over
        self.error: str | None = None

    def feed(self, key: str, text: str) -> None:
        with self._lock:
            if self._file is None:
                return
            line = self._lines.get(key, "")
            cr = self._cr.get(key, False)
            done: list[str] = []
            for i, part in enumerate(text.split("\n")):
                if i:  # a newline ends the line, "\r\n" included (cr is simply dropped)
                    done.append(line + "\n")
                    line, cr = "", False
                if not part:
                    continue
                for j, seg in enumerate(part.split("\r")):
                    if j:
                        cr = True
                    if seg:
                        if cr:
                            line, cr = "", False
                        line += seg
                if len(line) > MAX_PENDING_CHARS:
                    done.append(line + "\n")
                    line = ""
            self._lines[key], self._cr[key] = line, cr
            if done:
                self._write("".join(done))

    def _write(self, text: str) -> None:
        try:
            self._file.write(text)
            self._file.flush()  # one write per batch of lines, so readers can stream the file
        except (OSError, ValueError) as exc:  # disk full, file closed under us
            self.error = str(exc)
            self._close_file()

    def close(self) -> None:
        with self._lock:
            rest = "".join(line + "\n" for line in self._lines.values() if line)
            self._lines.clear()
            if rest and self._file is not None:
                self._write(rest)
            self._close_file()

    def _close_file(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None  # type: ignore[assignment]

    def _after_fork(self) -> None:
        # A lock held by another thread at fork() time would never be released in the child.
        self._lock = threading.RLock()


class _Tee:
    """Stands in for ``sys.stdout``/``sys.stderr``: the real stream first, then the log."""

    def __init__(self, stream: Any, log: _LineLog, key: str) -> None:
        self._stream = stream
        self._log: _LineLog | None = log
        self._key = key
        self._buffer: _BufferTee | None = None

    def write(self, text: str) -> int:
        n = self._stream.write(text)
        log = self._log
        if log is not None and isinstance(text, str):
            # Capture must never break the program's own output.
            with contextlib.suppress(Exception):
                log.feed(self._key, text)
        return n

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    @property
    def buffer(self) -> Any:
        """``sys.stdout.buffer``: bytes written here reach the log too (decoded as UTF-8)."""
        raw = self._stream.buffer
        if self._buffer is None or self._buffer._raw is not raw:
            self._buffer = _BufferTee(raw, self)
        return self._buffer

    def __getattr__(self, name: str) -> Any:
        # Everything else (fileno, isatty, encoding, flush, reconfigure...) is the real stream's.
        return getattr(self._stream, name)

    def __repr__(self) -> str:
        return f"<tracklog console tee of {self._stream!r}>"


class _BufferTee:
    """Stands in for ``sys.stdout.buffer``."""

    def __init__(self, raw: Any, tee: _Tee) -> None:
        self._raw = raw
        self._tee = tee
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def write(self, data: bytes) -> int:
        n = self._raw.write(data)
        log = self._tee._log
        if log is not None:
            with contextlib.suppress(Exception):
                log.feed(self._tee._key, self._decoder.decode(bytes(data)))
        return n

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)


def _install_fork_hook() -> None:
    global _fork_hook_installed
    if _fork_hook_installed or not hasattr(os, "register_at_fork"):
        return
    _fork_hook_installed = True

    def reset() -> None:
        for log in list(_active):
            log._after_fork()

    os.register_at_fork(after_in_child=reset)
