"""Fixtures shared by the whole suite: real SQLite and PostgreSQL databases, settings, the app.

Database tests take the ``database`` fixture and run twice, on SQLite and on PostgreSQL.
PostgreSQL comes from ``VEILLE_TEST_POSTGRES_URL`` (default: the local server's ``test``
database); each test session creates its own database on that server and drops it at the
end, so parallel runs never meet. There is no silent skip: if PostgreSQL does not answer,
the PostgreSQL half of the suite fails with a message saying how to start it.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from models import Base, Database
from models.migrate import upgrade
from veille.core import Veille
from veille.settings import Settings, settings_from_dict

POSTGRES_URL = os.environ.get("VEILLE_TEST_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# ../shared next to the checkout, or next to the folder of worktrees (/work/wt/<name>).
SHARED = next((p / "shared" for p in Path(__file__).resolve().parents if (p / "shared").is_dir()),
              Path(__file__).resolve().parents[2] / "shared")
ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("database") == "postgresql":
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared: the corpora, geo data and references (read at test time, never copied)."""
    if not SHARED.is_dir():
        pytest.fail(f"{SHARED} is missing: the tests read the shared corpora from there")
    return SHARED


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where tests leave screenshots and rendered files for people to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


# -- SQLite: one migrated template per session, copied for each test (fast, isolated). --

@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    database = Database(f"sqlite:///{path}")
    upgrade(database.engine)
    with database.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    database.dispose()
    return path


def _sqlite_database(template: Path, folder: Path) -> Database:
    path = folder / "veille.sqlite"
    shutil.copyfile(template, path)
    return Database(f"sqlite:///{path}")


# -- PostgreSQL: one migrated database per session, emptied before each test. --

@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    base = make_url(POSTGRES_URL)
    name = f"veille_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT", pool_pre_ping=True)  # survives a restart
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0'))
    except Exception as exc:
        admin.dispose()
        pytest.fail(f"PostgreSQL at {base.render_as_string(hide_password=True)} does not answer ({exc}); "
                    "start it (`pg_ctlcluster 15 main start`) or set VEILLE_TEST_POSTGRES_URL", pytrace=False)
    url = base.set(database=name).render_as_string(hide_password=False)
    database = Database(url)
    upgrade(database.engine)
    database.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty_postgres(database: Database) -> None:
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with database.engine.begin() as connection:
        connection.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty database: each test using it runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        db = _sqlite_database(request.getfixturevalue("sqlite_template"), tmp_path)
    else:
        db = Database(request.getfixturevalue("postgres_url"))
        _empty_postgres(db)
    yield db
    db.dispose()


@pytest.fixture
def sqlite_database(sqlite_template: Path, tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty SQLite database, for tests that are not about the dialect."""
    db = _sqlite_database(sqlite_template, tmp_path)
    yield db
    db.dispose()


def make_settings(tmp_path: Path, database_url: str | None = None, **overrides: Any) -> Settings:
    """Settings for a test: data in tmp_path, loopback allowed, no politeness delay."""
    raw: dict[str, Any] = {"data_dir": str(tmp_path / "data"),
                           "watch": {"allow_private_networks": True, "min_host_gap": 0.0}}
    if database_url:
        raw["database_url"] = database_url
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(raw.get(key), dict):
            raw[key] = {**raw[key], **value}
        else:
            raw[key] = value
    return settings_from_dict(raw, origin="test settings")


@pytest.fixture
def app(database: Database, tmp_path: Path) -> Iterator[Veille]:
    """The application on the test database (SQLite and PostgreSQL)."""
    veille = Veille(make_settings(tmp_path, database.url))
    veille.data_dir.mkdir(parents=True, exist_ok=True)
    veille.__dict__["db"] = database
    yield veille


@pytest.fixture
def sqlite_app(sqlite_database: Database, tmp_path: Path) -> Iterator[Veille]:
    veille = Veille(make_settings(tmp_path, sqlite_database.url))
    veille.data_dir.mkdir(parents=True, exist_ok=True)
    veille.__dict__["db"] = sqlite_database
    yield veille


# -- The theme model: trained once per session on the project's data (about ten seconds). --

@pytest.fixture(scope="session")
def theme_model() -> Any:
    """A `pipelines.themes.TrainResult` of the shipped training data, version ``test-model``."""
    from pipelines.themes import project_examples, train

    result = train(project_examples())
    result.classifier.version = "test-model"
    result.classifier.data_hash = "0" * 64
    return result


@pytest.fixture
def app_with_model(app: Veille, theme_model: Any) -> Veille:
    """The app (SQLite and PostgreSQL) with the session's theme model stored and active."""
    from pipelines.themes import ModelStore, record_model

    classifier = theme_model.classifier
    stored = ModelStore(app.models_dir).save(classifier, {"version": classifier.version, "n_examples": 1320,
                                                          "metrics": classifier.metrics,
                                                          "thresholds": classifier.thresholds}, activate=True)
    with app.db.transaction() as session:
        record_model(session, classifier, str(stored.path), n_examples=1320, n_labels=0, active=True)
    return app
