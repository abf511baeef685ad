"""``init()`` in a fresh process, as a short trial of a sweep starts: numpy and tracklog are
imported first (a training script has them), then ``tracklog.init(...)`` is timed (wall and the
process's CPU; looking up ``tracklog.init`` loads the SDK, as in a script) and the RSS it added
is read; the run is finished at once. Store: ``$TRACKLOG_URI``."""

from __future__ import annotations

import common

import tracklog


def main() -> None:
    """Print one ``BENCH_RESULT`` with ``init_s``, ``init_cpu_s`` and ``init_rss_mb``."""
    rss_before = common.rss_now_mb()
    run, init_s, init_cpu_s = common.timed_cpu(lambda: tracklog.init(project="bench", name="probe"))
    init_rss_mb = common.rss_now_mb() - rss_before
    run.finish()
    common.emit({"init_s": init_s, "init_cpu_s": init_cpu_s, "init_rss_mb": init_rss_mb})


if __name__ == "__main__":
    main()
