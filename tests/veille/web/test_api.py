"""The JSON API: tokens, roles, pagination, rate limits, OpenAPI."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from models import ApiToken
from tests.veille.web.conftest import post
from veille.web import create_app


def token_for(client: TestClient, role: str, login_as) -> str:
    login_as(role)
    html = post(client, "/account/tokens", {"label": "carnet"}).text
    token = re.search(r'<code id="new-token">([^<]+)</code>', html).group(1)
    client.cookies.clear()
    return token


def test_a_token_opens_the_api_and_only_its_hash_is_stored(client, login_as, app, newsroom) -> None:
    token = token_for(client, "analyst", login_as)
    response = client.get("/api/items", headers={"Authorization": f"Bearer {token}"},
                          params={"page_size": 2})
    assert response.status_code == 200
    data = response.json()
    assert data["total"] == 5 and len(data["items"]) == 2 and data["page_size"] == 2
    client.app.state.web.rate_limiter.flush()  # uses are written about once a second
    with app.db.reader() as session:
        stored = session.scalars(select(ApiToken)).one()
        assert token not in stored.token_hash and stored.last_used_at is not None


def test_items_stories_sources_and_search(client, login_as, newsroom) -> None:
    headers = {"Authorization": f"Bearer {token_for(client, 'analyst', login_as)}"}
    item = client.get(f"/api/items/{newsroom['b']}", headers=headers).json()
    assert item["themes"] == ["environment", "social_education"] and item["arrondissements"] == [11, 20]
    story = client.get(f"/api/stories/{newsroom['canteen']}", headers=headers).json()
    assert story["item_ids"] == sorted([newsroom["a"], newsroom["b"]])
    week = client.get("/api/stories", headers=headers, params={"week": "2026-W47"}).json()
    assert week["total"] == 2
    assert client.get("/api/sources", headers=headers).json()["total"] == 3
    found = client.get("/api/search", headers=headers, params={"q": "cantines", "sort": "date"}).json()
    assert found["total"] == 2 and {f["value"] for f in found["facets"]["source"]}
    assert client.get("/api/items/999999", headers=headers).status_code == 404


def test_a_revoked_or_unknown_token_is_refused(client, login_as, app, newsroom) -> None:
    token = token_for(client, "analyst", login_as)
    assert client.get("/api/items", headers={"Authorization": "Bearer vl_nope"}).status_code == 401
    assert client.get("/api/items", headers={"Authorization": f"Basic {token}"}).status_code == 401
    with app.db.reader() as session:
        token_id = session.scalars(select(ApiToken.id)).one()
    login_as("analyst")
    assert post(client, f"/account/tokens/{token_id}/revoke").status_code == 303
    client.cookies.clear()
    assert client.get("/api/items", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_a_member_token_reads_reviews_but_cannot_search(client, login_as, newsroom) -> None:
    headers = {"Authorization": f"Bearer {token_for(client, 'member', login_as)}"}
    assert client.get("/api/reviews", headers=headers).status_code == 200
    assert client.get("/api/search", headers=headers, params={"q": "bio"}).status_code == 403


def test_the_rate_limit_answers_429_with_retry_after(app, accounts, newsroom) -> None:
    app.settings.web.api_rate_limit = 3
    with TestClient(create_app(app), follow_redirects=False) as client:
        from tests.veille.web.conftest import login

        login(client, "analyst")
        html = post(client, "/account/tokens", {"label": "x"}).text
        token = re.search(r'<code id="new-token">([^<]+)</code>', html).group(1)
        client.cookies.clear()
        headers = {"Authorization": f"Bearer {token}"}
        codes = [client.get("/api/sources", headers=headers).status_code for _ in range(5)]
        assert codes == [200, 200, 200, 429, 429]
        limited = client.get("/api/sources", headers=headers)
        assert limited.headers["retry-after"] == "60" and "rate limit" in limited.json()["detail"]


def test_the_openapi_schema_documents_every_endpoint(client) -> None:
    schema = client.get("/api/openapi.json").json()
    assert {"/api/search", "/api/items", "/api/items/{item_id}", "/api/stories", "/api/stories/{story_id}",
            "/api/reviews", "/api/reviews/{group}/{week}", "/api/sources"} <= set(schema["paths"])
    assert not any(path.startswith("/curate") for path in schema["paths"])  # pages stay out of the API docs
