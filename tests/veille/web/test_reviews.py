"""Members read the published reviews: home, archive, each review in HTML, PDF, Markdown, Atom."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.veille.web.conftest import WEEK, login
from veille.jobs.digest import publish_review
from veille.web import create_app


@pytest.fixture
def published(app, newsroom) -> str:
    publish_review(app, "social_education", WEEK)
    return f"/reviews/social_education/{WEEK}"


def test_home_and_archive_link_the_latest_review(client, published) -> None:
    home = client.get("/").text
    assert f'href="{published}"' in home and "Pas encore de revue publiée" in home  # the two other groups
    archive = client.get("/reviews?group=social_education").text
    assert f'href="{published}"' in archive


def test_a_published_review_in_every_format(client, published) -> None:
    page = client.get(published)
    assert page.status_code == 200 and "Cantines" in page.text and 'lang="fr"' in page.text
    assert client.get(f"{published}.pdf").content.startswith(b"%PDF")
    markdown = client.get(f"{published}.md")
    assert markdown.status_code == 200 and "Cantines" in markdown.text
    atom = client.get("/reviews/social_education.atom")
    assert atom.status_code == 200 and "<feed" in atom.text and WEEK in atom.text


def test_a_draft_is_hidden_from_members_and_shown_to_facilitators(client, newsroom) -> None:
    path = f"/reviews/environment/{WEEK}"
    assert client.get(path).status_code == 404
    login(client, "member")
    assert client.get(path).status_code == 404
    login(client, "facilitator")
    draft = client.get(path)
    assert draft.status_code == 200 and "Aperçu : cette revue n'est pas publiée" in draft.text


def test_members_only_reviews_need_a_login(app, accounts, published) -> None:
    app.settings.digests.public = False
    with TestClient(create_app(app), follow_redirects=False) as client:
        assert client.get(published).status_code == 303
        assert client.get("/").status_code == 303
        login(client, "member")
        assert client.get(published).status_code == 200


def test_unknown_groups_and_weeks_are_404(client) -> None:
    assert client.get(f"/reviews/sport/{WEEK}").status_code == 404
    assert client.get("/reviews/environment/2026-W99").status_code == 404
    assert client.get("/reviews/environment/semaine").status_code == 404
