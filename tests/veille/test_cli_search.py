"""`veille search`: the same search as the web page, with exports and the index rebuild."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from veille.cli import app as cli
from veille.cli.common import run_guarded
from veille.core import Veille

from tests.conftest import make_settings
from tests.models.search_data import DOCS, load


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text("data_dir: data\n", encoding="utf-8")
    veille = Veille(make_settings(tmp_path, None, data_dir=str(tmp_path / "data")))
    veille.init_database()
    load(veille.db)
    veille.close()
    return path


def run(config: Path, *args: str) -> int:
    return run_guarded(cli, ["--config", str(config), "search", *args])


def test_search_prints_the_results(config, capsys) -> None:
    assert run(config, "écoles", "--sort", "date") == 0
    out = capsys.readouterr().out
    assert out.startswith("3 results (date); page 1 of 1")
    assert "Les écoles du 19e manquent d'animateurs" in out


def test_filters_and_facets(config, capsys) -> None:
    assert run(config, "", "--place", "11", "--theme", "environment", "--facets") == 0
    out = capsys.readouterr().out
    assert out.startswith("1 results")
    assert "La végétalisation des cours" in out and "arrondissement: 11e arrondissement 1" in out


def test_csv_export_has_every_match(config, capsys) -> None:
    assert run(config, "", "--csv") == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == len(DOCS)
    assert {"item_id", "title", "url", "themes", "published_at"} <= set(rows[0])


def test_json_export_with_a_limit(config, capsys) -> None:
    assert run(config, "source:libération", "--json") == 0
    assert len(json.loads(capsys.readouterr().out)) == 3
    assert run(config, "source:libération", "--json", "--limit", "2") == 0
    assert len(json.loads(capsys.readouterr().out)) == 2


def test_a_malformed_query_is_explained_with_a_caret(config, capsys) -> None:
    assert run(config, '(vélo OR "bus') == 2
    err = capsys.readouterr().err
    assert "Guillemet non fermé" in err and "^" in err


def test_a_bad_date_is_explained(config, capsys) -> None:
    assert run(config, "vélo", "--since", "hier") == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_reindex_rebuilds_the_index(config, capsys) -> None:
    assert run(config, "--reindex") == 0
    assert f"search index rebuilt: {len(DOCS)} items" in capsys.readouterr().out
    assert run(config, "végétalisé") == 0
    assert capsys.readouterr().out.startswith("1 results")
