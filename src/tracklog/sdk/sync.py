"""``tracklog sync``: replay offline journals into a store or a server, exactly once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

from tracklog.errors import NotFoundError
from tracklog.sdk.journal import JOURNAL_FILE, MARKER_FILE, read_records
from tracklog.store import calls
from tracklog.store.tracking import Store

if TYPE_CHECKING:
    from tracklog.client.remote import RemoteStore
    from tracklog.store.interface import TrackingStore

OFFLINE_DIR = "offline"


@dataclass(frozen=True)
class SyncResult:
    """What one journal contributed: its run, how many records were applied now."""

    folder: Path
    run_id: str | None
    applied: int


def find_journals(root: Path) -> list[Path]:
    """Run folders under ``root`` (or ``root`` itself) that hold a journal."""
    if (root / JOURNAL_FILE).exists():
        return [root]
    base = root / OFFLINE_DIR if (root / OFFLINE_DIR).is_dir() else root
    return sorted(p.parent for p in base.glob(f"*/{JOURNAL_FILE}"))


def sync_folder(store: TrackingStore, folder: Path) -> SyncResult:
    """Apply the records of ``folder``'s journal not applied before; return what was done.

    Metric batches carry ids the store remembers and every other write is idempotent, so an
    interrupted sync can simply be run again. A server gets many records per request.
    """
    if not isinstance(store, Store):
        from tracklog.client.sender import JournalFiles, send_journal

        files = JournalFiles(folder, folder / JOURNAL_FILE, folder / MARKER_FILE)
        # open_store() makes a RemoteStore of any store that is not a database.
        return SyncResult(folder, *send_journal(cast("RemoteStore", store), files))
    marker = folder / MARKER_FILE
    start = int(marker.read_text()) if marker.exists() else 0
    run_id, applied = None, 0
    for record in read_records(folder / JOURNAL_FILE, start):
        run_id = record.args.get("run_id", run_id)
        try:
            calls.apply(store, record, files=lambda name: folder / name)
        except NotFoundError as exc:
            raise NotFoundError(f"{folder}: {exc}") from exc
        applied += 1
        marker.write_text(str(record.end_offset))
    return SyncResult(folder, run_id, applied)
