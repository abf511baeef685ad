"""Server settings, read from ``TRACKLOG_SERVER_*`` environment variables.

Every uvicorn worker is its own process and builds the app from these, so ``tracklog server``
passes its options through the environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields

from tracklog.store.location import StoreLocation, resolve

PREFIX = "TRACKLOG_SERVER_"


@dataclass(frozen=True)
class Settings:
    """What a server process serves and which limits it enforces."""

    backend_store_uri: str = ""  # "": the default store ($TRACKLOG_URI, else ./tracklog)
    artifacts_destination: str = ""
    auth: bool = False
    max_body_bytes: int = 64 * 1024 * 1024
    max_artifact_bytes: int = 64 * 1024**3  # artifact uploads stream to storage: no body limit
    max_batch_points: int = 5_000_000
    max_records: int = 10_000
    multipart_upload_expiry: int = 24 * 3600  # seconds an unfinished upload is kept untouched
    failed_logins_per_user: int = 10  # with --auth, in failed_login_window seconds (429 beyond)
    failed_logins_per_address: int = 30
    failed_login_window: int = 60
    search_timeout_ms: int = 30_000  # a longer search is stopped (400); 0: no bound
    alert_webhook: str = ""  # "": none; else each new run alert is POSTed there

    def store_location(self) -> StoreLocation:
        """The store these settings serve: its database and artifact root."""
        location = resolve(self.backend_store_uri or None)
        if self.artifacts_destination:
            return StoreLocation(location.db_url, self.artifacts_destination)
        return location

    @classmethod
    def from_env(cls) -> Settings:
        """Settings from ``TRACKLOG_SERVER_<FIELD>`` variables, defaults for the rest."""
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = os.environ.get(PREFIX + f.name.upper())
            if raw is None:
                continue
            if f.type == "bool":
                values[f.name] = raw.strip().lower() in ("1", "true", "yes", "on")
            elif f.type == "int":
                values[f.name] = int(raw)
            else:
                values[f.name] = raw
        return cls(**values)  # type: ignore[arg-type]

    def to_env(self) -> dict[str, str]:
        """The environment variables that reproduce these settings in a worker process."""
        return {PREFIX + f.name.upper(): str(getattr(self, f.name)) for f in fields(self)}
