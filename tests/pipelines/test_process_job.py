"""`veille process` and the process job: the CLI prints counters; the demo corpus end to end."""

import json

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from models import Item, Run
from veille.cli import app as cli

from .conftest import add_items, pairwise


def config_for(tmp_path, database, stages: list[str]) -> str:
    config = tmp_path / "config.yaml"
    config.write_text(json.dumps({"data_dir": str(tmp_path / "data"), "database_url": database.url,
                                  "pipelines": {"stages": stages, "workers": 1}}), encoding="utf-8")
    return str(config)


def test_veille_process_runs_the_stages_and_prints_the_counters(database, tmp_path, demo_articles) -> None:
    add_items(database, demo_articles[:5])
    config = config_for(tmp_path, database, ["extract", "dedupe", "cluster"])
    result = CliRunner().invoke(cli, ["--config", config, "process", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout.splitlines()[-1])
    assert report["items"] == 5 and report["states"] == {"done": 5}
    assert report["counters"]["extract"] == {"in": 5, "out": 5}
    again = CliRunner().invoke(cli, ["--config", config, "process"])
    assert again.exit_code == 0 and "Nothing to process." in again.stdout
    with database.reader() as session:
        assert [r.status for r in session.scalars(select(Run).order_by(Run.id))] == ["ok", "ok"]


def test_veille_process_limit_takes_only_that_many(database, tmp_path, demo_articles) -> None:
    add_items(database, demo_articles[:5])
    result = CliRunner().invoke(cli, ["--config", config_for(tmp_path, database, ["extract"]), "process",
                                      "--limit", "2"])
    assert result.exit_code == 0 and "2 items processed" in result.stdout


@pytest.mark.slow
def test_the_demo_corpus_crawled_and_processed_gives_its_stories_and_wire_copies(
        sqlite_app, demo_manifest) -> None:
    from veille.demo.site import DemoSite
    from veille.jobs.crawl import crawl_once
    from veille.jobs.process import process_pending
    from veille.jobs.setup import sync_sources
    from veille.settings import settings_from_dict

    with DemoSite() as site:
        settings = sqlite_app.settings.model_dump(exclude={"config_path"})
        settings["sources"] = site.sources()
        sqlite_app.settings = settings_from_dict(settings)
        sync_sources(sqlite_app)
        crawl_once(sqlite_app)
        report = process_pending(sqlite_app)
    assert report.states.get("done") == len(demo_manifest)
    with sqlite_app.db.reader() as session:
        items = list(session.scalars(select(Item)))
    slug = {}
    for line in (DEMO_ARTICLES := __import__("pathlib").Path(__file__).resolve().parents[2] / "veille" / "demo"
                 / "corpus" / "articles.jsonl").read_text(encoding="utf-8").splitlines():
        article = json.loads(line)
        slug[article["id"]] = article["slug"]
    by_article = {aid: next(i for i in items if s in i.url) for aid, s in slug.items()}
    stories = pairwise({k: m["story"] for k, m in demo_manifest.items()},
                       {aid: item.story_id for aid, item in by_article.items()}, demo_manifest)
    print(f"stories through the whole pipeline: {stories}")
    # Items are processed in publication order, so the result no longer depends on which feed
    # answered first: P 0.854, R 0.843, F1 0.849 in every run (2026-11-27).
    assert stories.precision >= 0.84 and stories.recall >= 0.84 and stories.f1 >= 0.84
    root = {i.id: i.duplicate_of_id or i.id for i in items}
    copies = [(by_article[k], by_article[m["wire_of"]]) for k, m in demo_manifest.items() if m["wire_of"]]
    assert all(root[c.id] == root[o.id] for c, o in copies)
    assert sum(1 for i in items if i.duplicate_of_id) == 8
