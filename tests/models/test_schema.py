from datetime import datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models import Base, Database, DatabaseError, Item, ItemSource, Source
from models.migrate import check_current, head_revision, upgrade
from models.searchindex import schema_filter


def test_migrations_produce_exactly_the_models_schema(database: Database) -> None:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": schema_filter})
        assert compare_metadata(context, Base.metadata) == []


def test_upgrade_is_idempotent(database: Database) -> None:
    assert upgrade(database.engine) == (head_revision(), head_revision())
    check_current(database.engine)


def source(name: str = "Le Parisien – Paris") -> Source:
    return Source(name=name, url="https://example.org/feed.xml", kind="feed", outlet_type="regional")


def test_times_come_back_timezone_aware_in_utc(database: Database) -> None:
    paris = timezone(timedelta(hours=1))
    with database.transaction() as session:
        src = source()
        session.add(src)
        session.flush()
        session.add(Item(canonical_url="https://example.org/a", url="https://example.org/a", source_id=src.id,
                         published_at=datetime(2026, 11, 20, 10, 0, tzinfo=paris)))
    with database.reader() as session:
        item = session.scalars(select(Item)).one()
        assert item.published_at == datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
        assert item.published_at.tzinfo is not None
        assert item.first_seen_at.tzinfo is not None


def test_a_naive_time_is_refused(database: Database) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        with database.transaction() as session:
            src = source()
            src.next_check_at = datetime(2026, 11, 20, 10, 0)
            session.add(src)


def test_one_canonical_url_is_one_item(database: Database) -> None:
    with database.transaction() as session:
        src = source()
        session.add(src)
        session.flush()
        session.add(Item(canonical_url="https://example.org/a", url="https://example.org/a", source_id=src.id))
    with pytest.raises(IntegrityError):
        with database.transaction() as session:
            session.add(Item(canonical_url="https://example.org/a", url="https://example.org/a?x=1",
                             source_id=src.id))


def test_a_feed_key_is_unique_per_source(database: Database) -> None:
    with database.transaction() as session:
        src = source()
        session.add(src)
        session.flush()
        item = Item(canonical_url="https://example.org/a", url="https://example.org/a", source_id=src.id)
        session.add(item)
        session.flush()
        session.add(ItemSource(item_id=item.id, source_id=src.id, key="k1"))
    with pytest.raises(IntegrityError):
        with database.transaction() as session:
            session.add(ItemSource(item_id=item.id, source_id=src.id, key="k1"))


def test_foreign_keys_are_enforced(database: Database) -> None:
    with pytest.raises(IntegrityError):
        with database.transaction() as session:
            session.add(ItemSource(item_id=999, source_id=999, key="k"))


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(sqlite_database: Database) -> None:
    with sqlite_database.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_a_database_without_schema_says_to_run_init(tmp_path) -> None:
    database = Database(f"sqlite:///{tmp_path}/empty.sqlite")
    with pytest.raises(DatabaseError, match="run `veille init`"):
        check_current(database.engine)


def test_a_missing_data_folder_says_to_run_init(tmp_path) -> None:
    with pytest.raises(DatabaseError, match="does not exist"):
        Database(f"sqlite:///{tmp_path}/nowhere/veille.sqlite")


def test_an_unsupported_url_is_explained() -> None:
    with pytest.raises(DatabaseError, match="not a database URL"):
        Database("not a url")
