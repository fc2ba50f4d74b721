"""Facilitators curate a week: labels, pins, exclusions, order, note, stories, publishing, the log."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from models import AuditEntry, Digest, DigestEntry, Item, Label, Story
from tests.veille.web.conftest import WEEK, post

INBOX = f"/curate/social_education/{WEEK}"


def test_the_inbox_lists_candidates_with_scores_and_reasons(client, login_as, newsroom) -> None:
    html = login_as("facilitator").get(INBOX).text
    assert "Cantines scolaires bio" in html  # the story's title
    assert "La Ville généralise le bio dans les cantines" in html
    assert "Un collège rénové dans le 13e" in html  # below the threshold but above the floor
    assert "Résultats du PSG" not in html  # far below: not a candidate
    assert "0.90" in html and "« école »" in html  # the score and the reason
    assert html.index("Cantines scolaires bio") < html.index("Un collège rénové")  # two outlets first


def test_correcting_a_theme_stores_a_label_logs_it_and_updates_search(client, login_as, app, newsroom) -> None:
    from models.search import SearchRequest, search

    login_as("facilitator")
    response = post(client, f"/curate/items/{newsroom['d']}/label",
                    {"themes": ["environment"], "reason": "rénovation énergétique", "back_to": INBOX}, page=INBOX)
    assert response.status_code == 303 and response.headers["location"].startswith(INBOX)
    with app.db.reader() as session:
        label = session.scalars(select(Label)).one()
        assert (label.item_id, label.themes, label.author, label.origin) == (newsroom["d"], ["environment"],
                                                                             "facilitator", "web")
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "label")).one()
        assert entry.reason == "rénovation énergétique" and entry.details["model"] == []
        hits = search(session, SearchRequest(themes=["environment"])).hits
        assert newsroom["d"] in {h.item_id for h in hits}
    page = client.get(INBOX).text
    assert "décidé par facilitator" in page
    assert "rénovation énergétique" in client.get("/audit").text


def test_an_unknown_theme_is_refused(client, login_as, newsroom) -> None:
    login_as("facilitator")
    response = post(client, f"/curate/items/{newsroom['d']}/label", {"themes": ["sport"]}, page=INBOX)
    assert response.status_code == 400 and "Thème inconnu" in response.text


def test_pin_exclude_and_order_are_kept_as_digest_entries(client, login_as, app, newsroom) -> None:
    login_as("facilitator")
    streets, canteen, lone = f"story:{newsroom['streets']}", f"story:{newsroom['canteen']}", f"item:{newsroom['d']}"
    assert post(client, f"{INBOX}/pin", {"target": streets}, page=INBOX).status_code == 303
    assert post(client, f"{INBOX}/exclude", {"target": lone, "reason": "hors sujet"}, page=INBOX).status_code == 303
    html = client.get(INBOX).text
    assert html.index("Rues aux écoles") < html.index("Cantines scolaires bio")  # pinned first
    assert post(client, f"{INBOX}/move", {"target": canteen, "direction": "up"}, page=INBOX).status_code == 303
    with app.db.reader() as session:
        digest = session.scalars(select(Digest)).one()
        entries = {(e.story_id, e.item_id): e for e in session.scalars(select(DigestEntry))}
        assert digest.status == "draft"
        assert entries[(newsroom["streets"], None)].pinned
        assert entries[(None, newsroom["d"])].excluded
        assert entries[(newsroom["canteen"], None)].position == 0
        actions = [a.action for a in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
        assert actions == ["pin", "exclude", "move"]


def test_a_bad_target_is_a_clear_error(client, login_as, newsroom) -> None:
    login_as("facilitator")
    response = post(client, f"{INBOX}/pin", {"target": "story:999999"}, page=INBOX)
    assert response.status_code == 400 and "existe pas" in response.text
    assert post(client, f"{INBOX}/pin", {"target": "drop table"}, page=INBOX).status_code == 400


def test_publishing_shows_the_note_and_the_pinned_story_first(client, login_as, app, newsroom) -> None:
    login_as("facilitator")
    post(client, f"{INBOX}/pin", {"target": f"story:{newsroom['streets']}"}, page=INBOX)
    post(client, f"{INBOX}/note", {"note": "Semaine chargée pour les écoles."}, page=INBOX)
    response = post(client, f"{INBOX}/publish", {"reason": "relue"}, page=INBOX)
    assert response.status_code == 303
    assert response.headers["location"] == f"/reviews/social_education/{WEEK}?ok=published"
    with app.db.reader() as session:
        digest = session.scalars(select(Digest)).one()
        assert digest.status == "published" and digest.context
        assert digest.context["top"][0]["title"].startswith("Rues aux écoles") or \
            "Rues aux écoles" in str(digest.context["top"][0])
        assert session.scalars(select(AuditEntry).where(AuditEntry.action == "publish")).one().reason == "relue"
    anonymous = TestClient(client.app)
    page = anonymous.get(f"/reviews/social_education/{WEEK}")
    assert page.status_code == 200
    assert "Semaine chargée pour les écoles." in page.text
    assert page.text.index("Rues aux écoles") < page.text.index("Cantines")
    # The note of a published review is frozen.
    assert post(client, f"{INBOX}/note", {"note": "trop tard"}, page=INBOX).status_code == 400


def test_previews_render_every_format(client, login_as, newsroom) -> None:
    login_as("facilitator")
    for fmt, marker in (("txt", "Semaine du 16 au 22 novembre"), ("md", "#"), ("eml", "<html"), ("html", "<html")):
        response = client.get(f"{INBOX}/preview.{fmt}")
        assert response.status_code == 200 and marker in response.text, fmt
    assert client.get(f"{INBOX}/preview.pdf").content.startswith(b"%PDF")
    assert client.get(f"{INBOX}/preview.exe").status_code == 404


def test_merging_and_splitting_stories(client, login_as, app, newsroom) -> None:
    login_as("facilitator")
    response = post(client, f"/stories/{newsroom['canteen']}/merge", {"other": newsroom["streets"],
                                                                      "back_to": INBOX}, page=INBOX)
    assert response.status_code == 303 and response.headers["location"].startswith(INBOX)
    with app.db.reader() as session:
        assert session.get(Story, newsroom["streets"]) is None
        assert session.get(Item, newsroom["c"]).story_id == newsroom["canteen"]
        assert session.get(Story, newsroom["canteen"]).item_count == 3
    response = post(client, f"/stories/{newsroom['canteen']}/split",
                    {"items": [newsroom["c"]], "title": "Rues aux écoles"}, page=INBOX)
    assert response.status_code == 303
    with app.db.reader() as session:
        new = session.get(Item, newsroom["c"]).story_id
        assert new not in (None, newsroom["canteen"])
        story = session.get(Story, new)
        assert (story.title, story.origin, story.item_count) == ("Rues aux écoles", "split", 1)
        actions = [a.action for a in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
        assert actions == ["merge_story", "split_story"]
    every = post(client, f"/stories/{new}/split", {"items": [newsroom["c"]]}, page=INBOX)
    assert every.status_code == 400 and "au moins un article" in every.text
    assert post(client, f"/stories/{new}/merge", {"other": new}, page=INBOX).status_code == 400


def test_the_decryptage_dossier_compares_coverage_and_exports_a_pdf(client, login_as, newsroom) -> None:
    login_as("facilitator")
    path = f"/stories/{newsroom['canteen']}"
    html = client.get(path).text
    assert "Le Petit Parisien" in html and "Paris Mairie Infos" in html
    assert "institutionnel" in html and "presse régionale" in html
    assert "Cités par tous :</strong> Anne Martin" in html
    assert "seul à citer Paul Roy, Ville de Paris" in html
    assert post(client, f"{path}/questions", {"questions": "Qui paie le bio ?\nQuel effet sur les prix ?"},
                page=path).status_code == 303
    assert "Qui paie le bio ?" in client.get(path).text
    pdf = client.get(f"{path}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert client.get("/stories/999999").status_code == 404


def test_the_review_queue_lists_uncertain_items_first(client, login_as, newsroom) -> None:
    html = login_as("facilitator").get("/curate/queue").text
    # Scores closest to 0.5 first: 0.55 (b) before 0.9 (a).
    assert html.index("La Ville généralise") < html.index("Les cantines des écoles passent au bio")


def test_a_labelled_item_leaves_the_review_queue_at_once(client, login_as, newsroom) -> None:
    login_as("facilitator")
    assert "La Ville généralise" in client.get("/curate/queue").text
    post(client, f"/curate/items/{newsroom['b']}/label", {"themes": ["social_education"], "back_to": "/curate/queue"},
         page="/curate/queue")
    assert "La Ville généralise" not in client.get("/curate/queue").text
