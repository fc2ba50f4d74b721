"""`veille crawl --once` and `veille sources status|import|export|discover`, end to end."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from veille.cli import app as cli
from veille.cli.common import run_guarded
from veille.core import Veille
from veille.jobs.setup import sync_sources
from veille.settings import load_settings

from .conftest import Reply, Server, rss

FEED = rss([{"title": "Un article", "link": "http://example.org/a", "guid": "a"}])


@pytest.fixture
def write_config(sqlite_template: Path):
    """A config file with these sources, and its database made from the migrated template."""

    def write(tmp_path: Path, sources: list[dict]) -> Path:
        config = tmp_path / "config.yaml"
        config.write_text(yaml.safe_dump({"data_dir": "data", "watch": {"allow_private_networks": True,
                                                                         "min_host_gap": 0},
                                          "sources": sources}), encoding="utf-8")
        (tmp_path / "data").mkdir()
        shutil.copyfile(sqlite_template, tmp_path / "data" / "veille.sqlite")
        app = Veille(load_settings(config))
        sync_sources(app)
        app.close()
        return config

    return write


def test_crawl_once_prints_a_summary_and_status_shows_health(write_config, tmp_path: Path, server: Server,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    server.route("/feed", Reply(200, FEED))
    server.route("/down", Reply(500, b"down"))
    config = write_config(tmp_path, [
        {"name": "Bon", "url": server.url("/feed"), "outlet_type": "local", "fetch_articles": False},
        {"name": "Cassé", "url": server.url("/down"), "outlet_type": "local"}])
    capsys.readouterr()
    assert run_guarded(cli, ["--config", str(config), "crawl", "--once"]) == 0
    captured = capsys.readouterr()
    assert "2 sources polled" in captured.out and "1 new items" in captured.out
    assert "http_5xx 1" in captured.out and "Cassé: http_5xx" in captured.err
    assert run_guarded(cli, ["--config", str(config), "sources", "status"]) == 0
    out = capsys.readouterr().out
    bon = next(line for line in out.splitlines() if line.startswith("Bon"))
    casse = next(line for line in out.splitlines() if line.startswith("Cassé"))
    assert " ok " in bon and "0.1" in bon  # one item in seven days
    assert "failing" in casse and "http_5xx" in out


def test_crawl_of_an_unknown_source_says_what_to_do(write_config, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, [])
    assert run_guarded(cli, ["--config", str(config), "crawl", "--once", "--source", "Nope"]) == 1
    assert "veille sources list" in capsys.readouterr().err


def test_crawl_without_once_points_to_the_scheduler(write_config, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, [])
    assert run_guarded(cli, ["--config", str(config), "crawl"]) == 2
    assert "veille run" in capsys.readouterr().err


SOURCES = [
    {"name": "Le Quotidien", "url": "https://quotidien.example/rss/paris.xml", "kind": "feed",
     "language": "fr", "outlet_type": "national", "enabled": True, "block": ["/sport/", "(?i)horoscope"],
     "fetch_articles": True, "user_agent": "veille-special/1", "cookie": {"$env": "QUOTIDIEN_COOKIE"},
     "notes": "Rubrique Paris « locale »"},
    {"name": "Blog du quartier", "url": "https://blog.example/actualites/", "kind": "page", "language": "fr",
     "outlet_type": "independent", "enabled": False,
     "rules": {"item": "//ul/li", "title": "./h2/a", "link": "./h2/a/@href", "date": "./time/@datetime",
               "date_format": "%Y-%m-%d"}},
]


@pytest.mark.parametrize("fmt", ["opml", "yaml"])
def test_export_import_export_is_lossless(write_config, tmp_path: Path, fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a").mkdir()
    first = write_config(tmp_path / "a", SOURCES)
    capsys.readouterr()
    assert run_guarded(cli, ["--config", str(first), "sources", "export", "--format", fmt]) == 0
    exported = capsys.readouterr().out
    source_file = tmp_path / f"sources.{fmt}"
    source_file.write_text(exported, encoding="utf-8")
    (tmp_path / "b").mkdir()
    second = write_config(tmp_path / "b", [])
    assert run_guarded(cli, ["--config", str(second), "sources", "import", str(source_file)]) == 0
    assert "2 added" in capsys.readouterr().out
    assert run_guarded(cli, ["--config", str(second), "sources", "export", "--format", fmt]) == 0
    assert capsys.readouterr().out == exported
    if fmt == "yaml":
        from veille.settings import SourceConfig

        assert [SourceConfig.model_validate(s) for s in yaml.safe_load(exported)["sources"]] == \
            [SourceConfig.model_validate(s) for s in sorted(SOURCES, key=lambda s: s["name"])]


def test_importing_a_bad_file_names_the_source_and_the_key(write_config, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, [])
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"sources": [{"name": "X", "url": "ftp://x", "outlet_type": "local"}]}))
    assert run_guarded(cli, ["--config", str(config), "sources", "import", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "X" in err and "url" in err and "http" in err


def test_discover_finds_feeds_by_link_then_by_well_known_paths(write_config, tmp_path: Path, make_server,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    linked, bare = make_server(), make_server()
    linked.route("/", Reply(200, b'<html><head><link rel="alternate" type="application/rss+xml" '
                                 b'title="Paris" href="/rss/paris.xml"></head><body>x</body></html>',
                            {"Content-Type": "text/html"}))
    linked.route("/rss/paris.xml", Reply(200, FEED))
    bare.route("/", Reply(200, b"<html><body>pas de lien</body></html>", {"Content-Type": "text/html"}))
    bare.route("/atom.xml", Reply(200, FEED))
    config = write_config(tmp_path, [])
    capsys.readouterr()
    assert run_guarded(cli, ["--config", str(config), "sources", "discover", linked.url("/")]) == 0
    assert linked.url("/rss/paris.xml") in capsys.readouterr().out
    assert run_guarded(cli, ["--config", str(config), "sources", "discover", bare.url("/")]) == 0
    out = capsys.readouterr().out
    assert bare.url("/atom.xml") in out and "well-known" in out
