"""Alembic environment: the engine comes from `models.migrate`, never from an ini file."""

from alembic import context

from models import Base
from models.searchindex import schema_filter

config = context.config
engine = config.attributes.get("engine")
if engine is None:
    raise RuntimeError("run migrations through `veille init` (models.migrate.upgrade)")

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
        compare_type=True,
        include_name=schema_filter,  # the search's FTS5 tables and tsvector live outside the ORM
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
