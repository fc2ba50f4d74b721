"""`veille extract`: one JSON object per input, errors reported per input."""

import json

from veille.cli import app as cli
from typer.testing import CliRunner

PAGE = ("<html lang='fr'><head><title>Un square rouvre</title>"
        "<meta name='author' content='Claire Dufresne'>"
        "<meta property='article:published_time' content='2026-11-05T08:00:00+01:00'></head>"
        "<body><article><h1>Un square rouvre</h1><p>" + "Le square de la rue de Tolbiac rouvre après des travaux "
        "de végétalisation menés pendant tout l'été par la mairie du 13e arrondissement. " * 4 +
        "</p></article></body></html>")


def test_extract_prints_one_json_object_per_input(tmp_path, httpserver) -> None:
    first = tmp_path / "a.html"
    first.write_text(PAGE, encoding="utf-8")
    httpserver.expect_request("/article").respond_with_data(PAGE, content_type="text/html; charset=utf-8")
    config = tmp_path / "config.yaml"
    config.write_text("watch:\n  allow_private_networks: true\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(config), "extract", str(first),
                                      httpserver.url_for("/article"), "--json"])
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.exit_code == 0, result.output
    assert len(lines) == 2
    for record in lines:
        assert {"text", "title", "author", "date", "language"} <= set(record)
        assert record["author"] == "Claire Dufresne" and record["language"] == "fr"
        assert record["date"].startswith("2026-11-05")
    assert lines[1]["url"] == httpserver.url_for("/article")


def test_extract_reports_an_unreadable_input_and_exits_non_zero(tmp_path) -> None:
    result = CliRunner().invoke(cli, ["extract", str(tmp_path / "missing.html"), "--json"])
    assert result.exit_code != 0
    assert "cannot be read" in json.loads(result.stdout.splitlines()[0])["error"]


def test_extract_refuses_a_loopback_url_unless_private_networks_are_allowed(httpserver) -> None:
    httpserver.expect_request("/article").respond_with_data(PAGE, content_type="text/html")
    result = CliRunner().invoke(cli, ["extract", httpserver.url_for("/article"), "--json"])
    assert result.exit_code != 0
    assert json.loads(result.stdout.splitlines()[0])["error"]
