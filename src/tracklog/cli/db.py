"""``tracklog db upgrade``: migrate a store's schema to the newest revision."""

from __future__ import annotations

import click

from tracklog.cli.state import CliState, pass_state


@click.group("db")
def db() -> None:
    """Manage the store's database."""


@db.command("upgrade")
@pass_state
def upgrade(state: CliState) -> None:
    """Run pending schema migrations and print the store's revision."""
    from tracklog.store.engine import open_engine
    from tracklog.store.location import resolve
    from tracklog.store.migrate import current_revision
    from tracklog.store.migrate import upgrade as run_migrations

    location = resolve(state.uri)
    engine = open_engine(location)
    try:
        with engine.connect() as conn:
            before = current_revision(conn)
        after = run_migrations(engine, location)
    finally:
        engine.dispose()
    if before == after:
        click.echo(f"already at revision {after}")
    else:
        click.echo(f"upgraded from {before or 'an empty database'} to revision {after}")
