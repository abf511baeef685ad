"""``/api/v1/runs``: create, read, search, change and finish runs."""

from __future__ import annotations

from typing import Any

from fastapi import status
from pydantic import BaseModel, Field

from tracklog.errors import InvalidValueError
from tracklog.server.auth import CAN_EDIT, CAN_MANAGE, CAN_READ, Guard, GuardDep
from tracklog.server.encoding import ListingJSON, wire_router
from tracklog.server.state import StoreDep
from tracklog.store.paging import PageSpec
from tracklog.store.run_query import RunQuery
from tracklog.store.search_parse import MAX_SEARCH_PROJECTS

router = wire_router(prefix="/api/v1", tags=["runs"])


class RunCreate(BaseModel):
    """A new run; the store fills in what is left out."""

    project: str
    run_id: str | None = None
    name: str | None = None
    user: str | None = None
    group: str | None = None
    job_type: str | None = None
    notes: str | None = None
    parent_run_id: str | None = None
    start_time: int | None = None
    pid: int | None = None
    pid_started: int | None = None
    host: str | None = None
    config: dict[str, Any] | None = None
    labels: list[str] | None = None
    owned: bool = True


class RunFinish(BaseModel):
    status: str = "FINISHED"
    exit_code: int | None = None
    error: str | None = None
    end_time: int | None = None


class RunResume(BaseModel):
    pid: int | None = None
    host: str | None = None
    pid_started: int | None = None
    owned: bool = True


class RunUpdate(BaseModel):
    name: str | None = None
    notes: str | None = None
    metadata: dict[str, Any] | None = None


class ConfigUpdate(BaseModel):
    updates: dict[str, Any]
    immutable: bool = False
    change_id: str | None = None


class Tags(BaseModel):
    tags: dict[str, Any]


class Labels(BaseModel):
    labels: list[str]


class SummaryValues(BaseModel):
    values: dict[str, Any]


class MetricDefs(BaseModel):
    defs: list[dict[str, Any]]


class Search(BaseModel):
    projects: list[str] | None = Field(default=None, max_length=MAX_SEARCH_PROJECTS)
    filter: str | None = None
    order_by: list[str] | None = None
    limit: int | None = Field(default=None, ge=1)
    lifecycle: str = "active"

    def query(self, guard: Guard, page: PageSpec | None) -> RunQuery:
        """The search of ``page`` among the projects the request may read."""
        projects = guard.searchable(self.projects)
        return RunQuery.of(projects, self.filter, self.order_by, self.lifecycle, page)


class Listing(Search):
    """A search and, after its first page, the ``next_page_token`` that page answered."""

    page_token: str | None = None

    def page(self) -> PageSpec | None:
        """The page asked for: every match unless a ``limit`` is given."""
        if self.page_token is None:
            return PageSpec.first(self.limit)
        if self.limit is None:
            raise InvalidValueError("page_token needs the limit its first page was asked with")
        return PageSpec.from_token(self.page_token, self.limit, None, "limit")


@router.post("/runs", status_code=status.HTTP_201_CREATED)
def create_run(body: RunCreate, store: StoreDep, guard: GuardDep) -> Any:
    """Create a RUNNING run (409 if ``run_id`` exists); a new project is created with its
    creator as manager."""
    guard.claim_project(body.project)
    return store.create_run(**body.model_dump())


@router.get("/runs/{run_id}", dependencies=[CAN_READ])
def get_run(run_id: str, store: StoreDep) -> Any:
    """One run with its config, tags, labels and summary."""
    return store.get_run(run_id)


@router.post("/runs/search")
def search_runs(body: Listing, store: StoreDep, guard: GuardDep) -> Any:
    """Runs matching MLflow's filter grammar, ordered by ``order_by``, in readable projects;
    long text abridged (``GET /runs/{run_id}`` has it whole). With a ``limit``, a page at a
    time: ``next_page_token`` (absent after the last page) asks for the next."""
    page = store.search_runs_page(body.query(guard, body.page()))
    answer: dict[str, Any] = {"runs": page.items}
    if page.next_token:
        answer["next_page_token"] = page.next_token
    return ListingJSON(answer)


@router.patch("/runs/{run_id}", dependencies=[CAN_EDIT])
def update_run(run_id: str, body: RunUpdate, store: StoreDep) -> Any:
    """Rename a run or replace its notes."""
    store.update_run(run_id, name=body.name, notes=body.notes, metadata=body.metadata)
    return store.get_run(run_id)


@router.post("/runs/{run_id}/finish", dependencies=[CAN_EDIT])
def finish_run(run_id: str, body: RunFinish, store: StoreDep) -> Any:
    """End a run with a final status."""
    store.finish_run(run_id, **body.model_dump())
    return store.get_run(run_id)


@router.post("/runs/{run_id}/resume", dependencies=[CAN_EDIT])
def resume_run(run_id: str, body: RunResume, store: StoreDep) -> Any:
    """Mark a run RUNNING again for a new owner process."""
    store.resume_run(run_id, **body.model_dump())
    return store.get_run(run_id)


@router.post(
    "/runs/{run_id}/heartbeat", status_code=status.HTTP_204_NO_CONTENT, dependencies=[CAN_EDIT]
)
def heartbeat(run_id: str, store: StoreDep) -> None:
    """Record that the run's process is alive."""
    store.heartbeat(run_id)


@router.delete("/runs/{run_id}", dependencies=[CAN_MANAGE])
def delete_run(run_id: str, store: StoreDep) -> Any:
    """Move a run to the trash."""
    store.delete_run(run_id)
    return store.get_run(run_id)


@router.post("/runs/{run_id}/restore", dependencies=[CAN_MANAGE])
def restore_run(run_id: str, store: StoreDep) -> Any:
    """Bring a run back from the trash."""
    store.restore_run(run_id)
    return store.get_run(run_id)


@router.post("/runs/{run_id}/config", dependencies=[CAN_EDIT])
def set_config(run_id: str, body: ConfigUpdate, store: StoreDep) -> Any:
    """Deep-merge config keys; answer the (key, old, new) changes (none for a ``change_id``
    applied before; 400 for a changed value when ``immutable``)."""
    changes = store.set_config(
        run_id, body.updates, immutable=body.immutable, change_id=body.change_id
    )
    return {"changes": [{"key": k, "old": old, "new": new} for k, old, new in changes]}


@router.get("/runs/{run_id}/config/history", dependencies=[CAN_READ])
def config_history(run_id: str, store: StoreDep) -> Any:
    """Every change of an existing config key."""
    store.get_run(run_id)
    return {"changes": store.config_history(run_id)}


@router.post("/runs/{run_id}/tags", status_code=status.HTTP_204_NO_CONTENT, dependencies=[CAN_EDIT])
def set_tags(run_id: str, body: Tags, store: StoreDep) -> None:
    """Set key → value tags."""
    store.set_tags(run_id, body.tags)


@router.delete(
    "/runs/{run_id}/tags/{key:path}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[CAN_EDIT],
)
def delete_tag(run_id: str, key: str, store: StoreDep) -> None:
    """Remove one tag."""
    store.delete_tag(run_id, key)


@router.post(
    "/runs/{run_id}/labels", status_code=status.HTTP_204_NO_CONTENT, dependencies=[CAN_EDIT]
)
def add_labels(run_id: str, body: Labels, store: StoreDep) -> None:
    """Add labels."""
    store.add_labels(run_id, body.labels)


@router.post(
    "/runs/{run_id}/labels/remove", status_code=status.HTTP_204_NO_CONTENT, dependencies=[CAN_EDIT]
)
def remove_labels(run_id: str, body: Labels, store: StoreDep) -> None:
    """Remove labels."""
    store.remove_labels(run_id, body.labels)


@router.post(
    "/runs/{run_id}/summary", status_code=status.HTTP_204_NO_CONTENT, dependencies=[CAN_EDIT]
)
def set_summary(run_id: str, body: SummaryValues, store: StoreDep) -> None:
    """Set summary values by hand."""
    store.set_summary(run_id, body.values)


@router.post(
    "/runs/{run_id}/metric-defs", status_code=status.HTTP_204_NO_CONTENT, dependencies=[CAN_EDIT]
)
def set_metric_defs(run_id: str, body: MetricDefs, store: StoreDep) -> None:
    """Store ``define_metric`` declarations."""
    store.set_metric_defs(run_id, body.defs)
