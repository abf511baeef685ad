"""A worker of ``tracklog server --workers N`` ends when the server process that started it is
gone: killed with SIGKILL, the master cannot stop its workers, which would go on answering on
the port (orphans) until someone finds and kills them."""

from __future__ import annotations

import os
import signal
import threading
import time

ENV_MASTER = "TRACKLOG_SERVER_MASTER_PID"
CHECK_EVERY_S = 0.5
GRACE_S = 15.0  # after SIGTERM, the requests in flight get this long before a hard exit


def watch_master() -> None:
    """In a worker of the ``tracklog server`` named by ``$TRACKLOG_SERVER_MASTER_PID``, stop
    (SIGTERM: uvicorn's graceful shutdown) once that server process is no longer its parent."""
    master = os.environ.get(ENV_MASTER)
    if master is None or not master.isdigit() or int(master) == os.getpid():
        return  # not a worker process (one worker runs inside the server process itself)
    # A worker whose master died while it was starting is already orphaned: it stops at once.
    threading.Thread(target=_watch, args=(int(master),), name="master-watch", daemon=True).start()


def _watch(master: int) -> None:
    while os.getppid() == master:
        time.sleep(CHECK_EVERY_S)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(GRACE_S)
    os._exit(1)
