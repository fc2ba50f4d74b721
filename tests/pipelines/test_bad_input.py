"""Bad input through the whole runner: each case handled with a reason, nothing crashes, nothing lost."""

import zlib
from datetime import datetime, timezone

from sqlalchemy import select

from models import Item, ItemPage, Source
from pipelines import DedupeStage, EnrichStage, ExtractOptions, ExtractStage, Runner, RunnerOptions

ARTICLE = ("<html lang='{lang}'><head><title>{title}</title>{head}</head><body><article><h1>{title}</h1>"
           "<p>{body}</p></article></body></html>")
FRENCH = ("La mairie du 11e arrondissement a présenté lundi son plan pour les cours d'école, qui seront "
          "ouvertes aux habitants le samedi. Les parents d'élèves saluent l'initiative mais demandent des "
          "moyens pour l'entretien et la surveillance des espaces le week-end. ") * 2
ENGLISH = ("The city council of Paris announced on Monday a plan to open school yards to residents on "
           "Saturdays, a move welcomed by parents who nevertheless asked for more staff. ") * 3

CASES = {
    "empty": b"",
    "binary": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40,
    "huge_line": ARTICLE.format(lang="fr", title="Grande page", head="", body=FRENCH).replace(
        "</article>", "</article>" + "<span>x</span>" * 400_000).encode(),
    "english": ARTICLE.format(lang="en", title="School yards open", head="", body=ENGLISH).encode(),
    "bad_date": ARTICLE.format(lang="fr", title="Date cassée", head="<meta name='date' content='2026-13-45'>",
                               body=FRENCH).encode(),
    "emoji": ARTICLE.format(lang="fr", title="🎉🎉🎉", head="", body="😀🔥🎉 " * 300).encode(),
    "good": ARTICLE.format(lang="fr", title="Les cours d'école ouvertes le samedi", head="", body=FRENCH).encode(),
}


def test_bad_pages_are_kept_or_dropped_with_a_reason_and_the_run_goes_on(database) -> None:
    with database.transaction() as session:
        source = Source(name="s", url="http://127.0.0.1/feed", outlet_type="local")
        session.add(source)
        session.flush()
        for name, body in CASES.items():
            item = Item(canonical_url=f"http://127.0.0.1/{name}", url=f"http://127.0.0.1/{name}",
                        source_id=source.id, title=None if name == "emoji" else f"Titre {name}",
                        summary=None if name in ("emoji",) else f"Résumé du flux pour {name}.",
                        published_at=datetime(2026, 11, 3, tzinfo=timezone.utc),
                        date_source="first_seen", state="fetched")
            session.add(item)
            session.flush()
            session.add(ItemPage(item_id=item.id, status=200, content_type="text/html", body=zlib.compress(body)))
    stages = [ExtractStage(ExtractOptions(languages=("fr",), max_html_bytes=8 * 1024 * 1024)), DedupeStage(),
              EnrichStage()]
    report = Runner(database, stages, RunnerOptions(batch_size=3)).run()
    assert report.status == "ok" and report.items == len(CASES)
    with database.reader() as session:
        items = {i.url.rsplit("/", 1)[1]: i for i in session.scalars(select(Item))}
        good_places = [p.arrondissement for p in items["good"].places]
    assert len(items) == len(CASES)  # nothing lost
    assert items["good"].state == "done" and good_places == [11]
    assert (items["english"].state, items["english"].drop_reason) == ("dropped", "language:en")
    assert (items["emoji"].state, items["emoji"].drop_reason) == ("dropped", "no_words")
    for name, flag in (("empty", "empty_page"), ("binary", "binary_content"), ("huge_line", "page_too_complex")):
        assert items[name].state == "done" and flag in items[name].flags
        assert items[name].text == f"Résumé du flux pour {name}."
    assert items["bad_date"].state == "done" and items["bad_date"].published_at is not None
    assert report.counters["extract"]["drop:language:en"] == 1
    assert report.counters["extract"]["flag:binary_content"] == 1
