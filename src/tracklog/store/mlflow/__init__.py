"""What MLflow's REST API asks of a store beyond :class:`~tracklog.store.tracking.Store`'s runs,
series and files: experiments with tags, search and trash (``experiments``), the datasets a run
used (``inputs``), runs as MLflow's listings show them (``run_listing``, ``latest_metrics``),
the model registry (``registry``), logged models (``logged_models``), their filter grammar
(``entity_filter``) and proxied multipart uploads (``multipart``).

Only the server (``server/mlflow_api``, and the upkeep that expires abandoned uploads) uses
this package, through one :class:`MlflowStore`; the SDK, the client and the importers never
load it (a contract in pyproject.toml).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

from tracklog.store.mlflow.experiments import Experiments
from tracklog.store.mlflow.inputs import Inputs
from tracklog.store.mlflow.logged_models import LoggedModels
from tracklog.store.mlflow.multipart import MultipartUploads
from tracklog.store.mlflow.registry import Registry
from tracklog.store.mlflow.run_listing import RunListing, run_listings
from tracklog.store.tracking import Store


class MlflowStore:
    """The MLflow-only parts of ``store``: the one way the MLflow routes reach them. Cheap to
    make (each part, made on first use, keeps only the store's engine or artifact
    repository), so made per request."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @cached_property
    def experiments(self) -> Experiments:
        return Experiments(self.store)

    @cached_property
    def inputs(self) -> Inputs:
        return Inputs(self.store)

    @cached_property
    def logged_models(self) -> LoggedModels:
        return LoggedModels(self.store)

    @cached_property
    def registry(self) -> Registry:
        return Registry(self.store)

    @cached_property
    def uploads(self) -> MultipartUploads:
        return MultipartUploads(self.store.artifacts)

    def run_listings(self, run_ids: Sequence[str]) -> list[RunListing]:
        """The runs with these ids as MLflow's listings show them, in the order given (ids
        that do not exist are skipped), read in one transaction."""
        return run_listings(self.store.engine, run_ids)
