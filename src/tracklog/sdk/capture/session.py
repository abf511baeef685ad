"""The capture of one run: one-shot facts at ``init``, console and system metrics while it runs."""

from __future__ import annotations

import os
import threading
import time
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from tracklog.sdk.capture import (
    CONSOLE_ARTIFACT,
    CaptureSettings,
    ConsoleCapture,
    SystemSampler,
    capture_all,
)
from tracklog.store.clock import now_ms

CONSOLE_UPLOAD_BYTES = 1 << 20

# The one-shot capture threads still running; a fork waits for them.
_running: set[threading.Thread] = set()


def _before_fork() -> None:
    """Let the one-shot captures end before the process forks: a child copied while one of
    them held an import or journal lock would wait for that lock forever."""
    for thread in list(_running):
        if thread is not threading.current_thread():
            thread.join()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork)


class CaptureSession:
    """Runs the captures ``settings`` switch on for run ``run_id`` and files what they find.

    ``append_row`` takes ``(step, time_ms, {key: value})`` rows like ``run.log`` buffers them;
    system samples use their own step counter so they never move the user's steps.
    """

    def __init__(
        self,
        settings: CaptureSettings,
        backend: Any,
        run_id: str,
        scratch: Path,
        append_row: Callable[[tuple[int, int, dict[str, float]]], None],
    ) -> None:
        self.settings = settings
        self.backend = backend
        self.run_id = run_id
        self.scratch = scratch
        self._append_row = append_row
        self._step = 0
        self._console: ConsoleCapture | None = None
        self._sampler: SystemSampler | None = None
        self._streamer: threading.Thread | None = None
        self._stopping = threading.Event()
        self._captured: Any = None
        self._oneshot: threading.Thread | None = None

    def start(
        self, workdir: Path, exclude: Iterable[str | os.PathLike[str]], resumed: bool
    ) -> None:
        """Capture the one-shot facts (not again for a resumed run), then start the console
        tee and the system sampler."""
        if not self.settings.enabled:
            return
        if not resumed:
            # Nothing init() returns needs these facts: they are gathered and filed on a
            # thread of their own (stop() waits for it), so init() returns without them.
            self._oneshot = threading.Thread(
                target=self._capture_once,
                # Absolute here: the script may change its working directory meanwhile.
                args=(workdir.absolute(), [Path(p).absolute() for p in exclude]),
                name="tracklog-capture",
                daemon=True,
            )
            _running.add(self._oneshot)
            self._oneshot.start()
        if self.settings.console:
            self._console = ConsoleCapture(self.scratch / CONSOLE_ARTIFACT).start()
        if self._console is not None:
            self._streamer = threading.Thread(
                target=self._stream_console, name="tracklog-console", daemon=True
            )
            self._streamer.start()
        if self.settings.system_metrics:
            self._sampler = SystemSampler(
                self._sample, self.settings.system_interval_s, disk_path=workdir
            ).start()

    def _capture_once(self, workdir: Path, exclude: list[Path]) -> None:
        """The one-shot captures, filed with the run (on the ``tracklog-capture`` thread)."""
        try:
            self._captured = capture_all(self.settings, workdir, exclude=exclude)
            self.backend.update_run(self.run_id, metadata=self._captured.metadata)
            files = self._captured.write_texts(self.scratch) + self._captured.files
            for path, name in files:
                self._upload(path, name)
        except Exception as exc:  # capture must never break a run
            warnings.warn(f"tracklog: could not save the run's context: {exc}", stacklevel=2)
        finally:
            _running.discard(threading.current_thread())

    def stop(self) -> None:
        """Stop the tee and the sampler; file the console log and late captures."""
        if self._oneshot is not None:
            self._oneshot.join()  # what init() left to gather is filed before the run ends
        notes: list[str] = []
        if self._sampler is not None:
            self._sampler.stop()
            notes += self._sampler.notes
        self._stopping.set()
        if self._streamer is not None:
            self._streamer.join()
        if self._console is not None:
            self._console.stop()
            if self._console.path.exists():
                self._upload(self._console.path, CONSOLE_ARTIFACT)
        late = self._captured.late(timeout_s=5) if self._captured is not None else None
        if late is not None:
            for path, name in late.write_texts(self.scratch) + late.files:
                self._upload(path, name)
            notes += late.notes
        if notes:
            self.backend.update_run(self.run_id, metadata={"capture_notes_at_end": notes})

    def _stream_console(self) -> None:
        """Upload ``output.log`` while the run runs, so its tail can be read before the end."""
        assert self._console is not None
        path, interval = self._console.path, self.settings.console_interval_s
        uploaded, last = 0, time.monotonic()
        while not self._stopping.wait(interval):
            try:
                size = path.stat().st_size
            except OSError:
                continue
            # Each upload sends the whole file: a big log waits longer, bounding the traffic.
            wait = interval * max(1.0, size / CONSOLE_UPLOAD_BYTES)
            if size != uploaded and time.monotonic() - last >= wait:
                self._upload(path, CONSOLE_ARTIFACT, snapshot=True)
                uploaded, last = size, time.monotonic()

    def _sample(self, sample: dict[str, float]) -> None:
        # Called from the sampler thread; deque.append is atomic.
        self._append_row((self._step, now_ms(), sample))
        self._step += 1

    def _upload(self, path: Path, name: str, *, snapshot: bool = False) -> None:
        send = self.backend.log_artifact
        if snapshot:
            # Journaled backends (server, offline) decide how to send a snapshot of a growing
            # file; to a store it is an ordinary upload that the next one replaces.
            send = getattr(self.backend, "stream_file", send)
        try:
            send(self.run_id, Path(path), name)
        except Exception as exc:  # capture must never break a run
            warnings.warn(f"tracklog: could not save {name}: {exc}", stacklevel=2)
