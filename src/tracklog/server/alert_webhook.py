"""``tracklog server --alert-webhook URL``: each new alert of a run is POSTed there as JSON,
in the background (a slow or failing webhook never delays or fails the write that raised it).

The body is Slack's incoming-webhook shape (``{"text": ...}``) with the alert's fields under
``"alert"``, so a Slack or Mattermost URL works as it is and other receivers read the fields.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tracklog.errors import InvalidValueError, TracklogError
from tracklog.store.records import Alert

if TYPE_CHECKING:
    from tracklog.store.tracking import Store

TIMEOUT_S = 10.0
_log = logging.getLogger("tracklog.server")


def checked_url(url: str) -> str:
    """``url`` if it is an http(s) URL with a host; else InvalidValueError naming it."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidValueError(f"the alert webhook must be an http(s) URL, got {url!r}")
    return url


class AlertWebhook:
    """Sends alerts to one URL from a small pool of background threads."""

    def __init__(self, url: str) -> None:
        self.url = checked_url(url)
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="tracklog-webhook")

    def notify(self, store: Store, run_id: str, alert_id: str) -> None:
        """Queue the POST of alert ``alert_id`` of run ``run_id`` (just recorded)."""
        self._pool.submit(self._send, store, run_id, alert_id)

    def close(self) -> None:
        """Send what is queued, then stop the threads."""
        self._pool.shutdown(wait=True)

    def _send(self, store: Store, run_id: str, alert_id: str) -> None:
        import httpx

        try:
            run = store.get_run(run_id)
            alert = next(a for a in store.alerts(run_id) if a.id == alert_id)
            body = payload(alert, run.name, run.project)
            response = httpx.post(self.url, json=body, timeout=TIMEOUT_S)
            response.raise_for_status()
        except (TracklogError, StopIteration, httpx.HTTPError) as exc:
            _log.warning("alert %s of run %s not sent to the webhook: %s", alert_id, run_id, exc)


def payload(alert: Alert, run_name: str, project: str) -> dict[str, Any]:
    """The JSON body of one alert."""
    text = f"[{alert.level}] {alert.title}: {alert.text} (run {run_name!r} in {project!r})"
    return {"text": text, "alert": {**asdict(alert), "run_name": run_name, "project": project}}
