"""``tracklog projects ls``: run counts per project."""

from __future__ import annotations

from cli_helpers import Invoke, MakeRun


def _counts(output: str) -> dict[str, str]:
    rows = [[c.strip() for c in line.split("│")[1:-1]] for line in output.splitlines()]
    return {row[0]: row[1] for row in rows if len(row) == 3}


def test_projects_ls_counts_active_runs(invoke: Invoke, make_run: MakeRun) -> None:
    make_run(project="vision")
    make_run(project="vision")
    gone = make_run(project="vision")
    make_run(project="nlp")
    invoke("runs", "rm", gone)
    result = invoke("projects", "ls")
    assert result.exit_code == 0, result.output
    assert _counts(result.stdout) == {"Default": "0", "nlp": "1", "vision": "2"}


def test_projects_ls_new_store_has_mlflows_default(invoke: Invoke) -> None:
    result = invoke("projects", "ls")
    assert result.exit_code == 0 and _counts(result.stdout) == {"Default": "0"}
