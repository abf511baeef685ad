"""Where a run's writes go when the tracking URI names a tracklog server.

Every write goes to the run's local journal first, the durable log, as in offline mode; a
sender thread (:class:`tracklog.client.sender.Sender`) replays the journal to the server. So
``log()`` never waits for the network, a run keeps logging while the server is away, and a
process that ends before its backlog is sent leaves a journal that
``tracklog sync FOLDER --uri URL`` sends later, exactly once.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import warnings
from pathlib import Path
from typing import Any

from tracklog.client.remote import RemoteStore
from tracklog.client.sender import JournalFiles, Sender
from tracklog.errors import StoreError, TracklogError
from tracklog.sdk.backend import JournalBackend
from tracklog.sdk.journal import JOURNAL_FILE, MARKER_FILE
from tracklog.store.liveness import process_started
from tracklog.store.records import RunRecord, SeriesStats


class ServerBackend(JournalBackend):
    """Journals a run's writes in ``folder`` and sends them to ``remote`` in the background;
    reads (``has_run``, ``get_run``, ``series_stats``) ask the server."""

    def __init__(self, remote: RemoteStore, folder: Path, run_id: str) -> None:
        super().__init__(folder)
        self.remote = remote
        self.settings = remote.settings
        # True when init() could not ask the server whether the run exists: then, as offline,
        # resume="must" is checked when the journal reaches the server.
        self.deferred = False
        files = JournalFiles(folder, folder / JOURNAL_FILE, folder / MARKER_FILE)
        self.sender = Sender(remote, files, self.settings, run_id)
        self.sender.start()
        self._summary_warned = False

    def _record(self, op: str, **args: Any) -> None:
        super()._record(op, **args)
        self.sender.wake()

    def has_run(self, run_id: str) -> bool:
        """Whether the server has the run; False, and :attr:`deferred`, if it does not answer
        within ``$TRACKLOG_INIT_TIMEOUT`` seconds."""
        try:
            return self.remote.has_run_within(run_id, self.settings.init_timeout)
        except TracklogError as exc:
            if not isinstance(exc, StoreError):  # a refused token, say: init() fails
                self.abandon()
                raise
            self.deferred = True
            warnings.warn(
                f"tracklog: the server does not answer ({exc}); run {run_id} is journaled in "
                f"{self.folder} and sent when it does",
                stacklevel=3,
            )
            return False

    def get_run(self, run_id: str) -> RunRecord:
        return self.remote.get_run(run_id)

    def series_stats(self, run_id: str) -> list[SeriesStats]:
        return self.remote.series_stats(run_id)

    def resume_run(self, run_id: str) -> None:
        # The owner is this process; replayed without it, the server would record its own.
        pid = os.getpid()
        self._record(
            "resume_run",
            run_id=run_id,
            pid=pid,
            host=socket.gethostname(),
            pid_started=process_started(pid),
        )

    def stream_file(self, run_id: str, source: Path, dest: str) -> None:
        """Upload a snapshot of a growing file straight to the server, past the journal (best
        effort: the final version is journaled by :meth:`log_artifact` and always arrives)."""
        with contextlib.suppress(TracklogError, OSError):
            self.remote.log_artifact(run_id, source, dest)

    def heartbeat(self, run_id: str) -> None:
        self.sender.request_heartbeat()

    def read_summary(self, run_id: str, local: dict[str, Any]) -> dict[str, Any]:
        """The run's summary from the server once it has everything journaled; ``local`` (the
        values this process logged and set) while the server cannot be reached."""
        if self.sender.error is None and self.sender.wait_drained(self.settings.finish_timeout):
            try:
                return dict(self.remote.get_run(run_id).summary)
            except TracklogError:
                pass
        if not self._summary_warned:
            self._summary_warned = True
            warnings.warn(
                f"tracklog: the server at {self.remote.url} is out of reach; run.summary shows "
                "the last values this process logged and set",
                stacklevel=4,
            )
        return local

    def abandon(self) -> None:
        """Stop sending for a run that init() refused; drop its journal if it is empty (one
        with records belongs to an earlier run with this id)."""
        self.sender.close(0)
        self.close()
        journal = self.folder / JOURNAL_FILE
        if journal.exists() and journal.stat().st_size == 0:
            journal.unlink()
            with contextlib.suppress(OSError):  # not empty: something else lives there
                self.folder.rmdir()

    def finish_run(self, run_id: str, status: str, **kwargs: Any) -> None:
        """Journal the run's end, then wait up to ``$TRACKLOG_FINISH_TIMEOUT`` seconds for the
        server to have it all; say how to send what is left."""
        try:
            super().finish_run(run_id, status, **kwargs)
        finally:
            self._stop_sending(run_id)

    def _stop_sending(self, run_id: str) -> None:
        sender = self.sender
        sent = sender.close(self.settings.finish_timeout)
        journal = sender.journal
        if journal.refused:
            print(
                f"tracklog: the server refused {journal.refused} records of run {run_id} "
                f"(first: {journal.first_refusal}); they were saved to "
                f"{journal.files.rejected.parent}",
                file=sys.stderr,
            )
        if not sent:
            why = sender.broken or sender.error
            print(
                f"tracklog: {journal.pending_bytes()} bytes of run {run_id} have not reached "
                f"the server at {self.remote.url}" + (f" ({why})" if why else "") + "; run "
                f"`tracklog sync {self.folder} --uri {self.remote.url}` to send them",
                file=sys.stderr,
            )
