"""``tracklog sync``: replay offline journals into a store, exactly once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tracklog.errors import NotFoundError
from tracklog.sdk.journal import JOURNAL_FILE, read_records
from tracklog.store.tracking import Store

OFFLINE_DIR = "offline"
_DONE = "synced-offset"


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


def sync_folder(store: Store, folder: Path) -> SyncResult:
    """Apply the records of ``folder``'s journal not applied before; return what was done.

    Metric batches carry ids the store remembers and every other write is idempotent, so an
    interrupted sync can simply be run again.
    """
    marker = folder / _DONE
    start = int(marker.read_text()) if marker.exists() else 0
    run_id, applied = None, 0
    for record in read_records(folder / JOURNAL_FILE, start):
        args = dict(record.args)
        run_id = args.get("run_id", run_id)
        if record.op == "create_run":
            resume = args.pop("resume", None)
            if store.has_run(args["run_id"]):
                store.resume_run(args["run_id"], pid=args.get("pid"), host=args.get("host"))
            elif resume == "must":
                raise NotFoundError(
                    f"{folder}: the run was started offline with resume='must', "
                    f"but the store has no run {args['run_id']!r}"
                )
            else:
                store.create_run(**args)
        elif record.op == "log_artifact":
            store.log_artifact(args["run_id"], folder / args["source"], args["dest"])
        else:
            getattr(store, record.op)(**args)
        applied += 1
        marker.write_text(str(record.end_offset))
    return SyncResult(folder, run_id, applied)
