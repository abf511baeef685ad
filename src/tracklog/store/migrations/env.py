"""Alembic environment: migrations run on the connection tracklog hands over."""

from alembic import context

from tracklog.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "tracklog migrations run through tracklog.store.migrate, not the alembic CLI"
    )
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
context.run_migrations()
