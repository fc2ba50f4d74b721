"""Security of the web app: who may open what, CSRF, sessions, redirects, throttling, headers."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from models import AuditEntry, Label, WebSession
from tests.veille.web.conftest import PASSWORD, WEEK, csrf_of, login, post
from veille.web import create_app

PAGES = {
    # path: roles that may open it
    "/account": {"member", "analyst", "facilitator", "admin"},
    "/curate": {"facilitator", "admin"},
    f"/curate/social_education/{WEEK}": {"facilitator", "admin"},
    "/curate/queue": {"facilitator", "admin"},
    "/audit": {"facilitator", "admin"},
    "/stories/{canteen}": {"facilitator", "admin"},
    "/admin/sources": {"admin"},
    "/admin/runs": {"admin"},
    "/admin/users": {"admin"},
}
API = {
    "/api/items": {"analyst", "facilitator", "admin"},
    "/api/items/{a}": {"analyst", "facilitator", "admin"},
    "/api/stories": {"analyst", "facilitator", "admin"},
    "/api/stories/{canteen}": {"analyst", "facilitator", "admin"},
    "/api/sources": {"analyst", "facilitator", "admin"},
    "/api/reviews": {"member", "analyst", "facilitator", "admin"},
}


@pytest.mark.parametrize("role", ["anonymous", "member", "analyst", "facilitator", "admin"])
def test_every_page_checks_the_role(client: TestClient, newsroom: dict[str, int], role: str) -> None:
    if role != "anonymous":
        assert login(client, role).status_code == 303
    for path, allowed in {**PAGES, **API}.items():
        path = path.format(**newsroom)
        response = client.get(path)
        if role == "anonymous":
            expected = 401 if path.startswith("/api/") else 303
            assert response.status_code == expected, path
            if expected == 303:
                assert response.headers["location"].startswith("/login?next=")
        elif role in allowed:
            assert response.status_code == 200, (role, path, response.text[-500:])
        else:
            assert response.status_code == 403, (role, path)


@pytest.mark.parametrize("path", ["/curate/items/{a}/label", "/curate/social_education/2026-W47/pin",
                                  "/curate/social_education/2026-W47/note", "/stories/{canteen}/questions",
                                  "/admin/users"])
def test_a_member_cannot_curate_or_administer(client: TestClient, newsroom: dict[str, int], path: str) -> None:
    login(client, "member")
    response = post(client, path.format(**newsroom), {"target": f"story:{newsroom['canteen']}",
                                                     "themes": "environment", "note": "x", "questions": "x",
                                                     "name": "mallory", "role": "admin", "password": "x" * 12})
    assert response.status_code == 403


def test_a_form_without_the_csrf_token_is_refused_and_changes_nothing(client: TestClient, app,
                                                                       newsroom: dict[str, int]) -> None:
    login(client, "facilitator")
    response = client.post(f"/curate/items/{newsroom['a']}/label", data={"themes": "environment"})
    assert response.status_code == 403
    assert "formulaire a expiré" in response.text
    response = client.post(f"/curate/items/{newsroom['a']}/label",
                           data={"themes": "environment", "csrf_token": "forged"})
    assert response.status_code == 403
    with app.db.reader() as session:
        assert session.scalar(select(func.count(Label.id))) == 0


def test_the_login_form_needs_its_csrf_token(client: TestClient) -> None:
    response = client.post("/login", data={"name": "admin", "password": PASSWORD})
    assert response.status_code == 403


def test_logging_in_starts_a_new_session_and_logging_out_ends_it(client: TestClient, app) -> None:
    login(client, "member")
    first = client.cookies.get("veille_session")
    login(client, "member")  # the browser comes with a session (e.g. one an attacker planted)
    second = client.cookies.get("veille_session")
    assert first and second and first != second
    with app.db.reader() as session:
        assert session.scalar(select(func.count()).select_from(WebSession)) == 1
    # The planted (old) session no longer works.
    stale = TestClient(client.app, follow_redirects=False)
    stale.cookies.set("veille_session", first)
    assert stale.get("/account").status_code == 303
    token = csrf_of(client.get("/account").text)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    replay = TestClient(client.app, follow_redirects=False)
    replay.cookies.set("veille_session", second)
    assert replay.get("/account").status_code == 303


def test_a_forged_session_cookie_is_ignored(client: TestClient) -> None:
    client.cookies.set("veille_session", "not-a-signed-value")
    assert client.get("/account").status_code == 303


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example",
                                    "javascript:alert(1)", "http:/evil.example"])
def test_login_never_redirects_off_site(client: TestClient, target: str) -> None:
    response = login(client, "member", next_path=target)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_login_returns_to_the_page_asked_for(client: TestClient) -> None:
    response = client.get("/admin/runs?kind=crawl")
    assert response.headers["location"] == "/login?next=/admin/runs%3Fkind%3Dcrawl"
    page = client.get(response.headers["location"])
    assert 'name="next" value="/admin/runs?kind=crawl"' in page.text
    assert login(client, "admin", next_path="/admin/runs?kind=crawl").headers["location"] == "/admin/runs?kind=crawl"


def test_logins_are_throttled_after_repeated_failures(client: TestClient, app) -> None:
    limit = app.settings.web.login_attempts
    for _ in range(limit):
        assert login(client, "admin", password="wrong-password").status_code == 401
    response = login(client, "admin")  # even the right password waits now
    assert response.status_code == 429
    assert "Trop de tentatives" in response.text
    assert login(client, "member").status_code == 303  # another account is not locked


def test_pages_carry_security_headers(client: TestClient) -> None:
    response = client.get("/login")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie


def test_session_cookies_are_secure_when_configured(app, accounts) -> None:
    app.settings.web.secure_cookies = True
    with TestClient(create_app(app), base_url="https://testserver", follow_redirects=False) as client:
        response = login(client, "member")
        assert "Secure" in response.headers["set-cookie"]
        assert "strict-transport-security" in response.headers


def test_titles_from_sources_are_escaped(client: TestClient, app, newsroom: dict[str, int]) -> None:
    from models import Item

    with app.db.transaction() as session:
        item = session.get(Item, newsroom["a"])
        item.title = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    login(client, "facilitator")
    html = client.get(f"/curate/social_education/{WEEK}").text
    assert "<script>alert" not in html and "<img src=x onerror" not in html
    assert "&lt;script&gt;alert" in html
    dossier = client.get(f"/stories/{newsroom['canteen']}").text
    assert "<img src=x onerror" not in dossier and "&lt;img src=x onerror" in dossier


def test_the_secret_key_is_generated_once_and_kept(app) -> None:
    create_app(app)
    key_file = app.data_dir / "web-secret.key"
    first = key_file.read_text()
    create_app(app)
    assert key_file.read_text() == first and len(first) > 40
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"


def test_admin_changes_to_accounts_are_logged_and_end_sessions(client: TestClient, app, accounts) -> None:
    other = TestClient(client.app, follow_redirects=False)
    login(other, "analyst")
    assert other.get("/account").status_code == 200
    login(client, "admin")
    response = post(client, f"/admin/users/{accounts['analyst']}", {"role": "member", "active": "1"},
                    page="/admin/users")
    assert response.status_code == 303
    assert other.get("/account").status_code == 303  # logged out by the role change
    with app.db.reader() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "change_user")).one()
        assert entry.actor == "admin" and entry.details["after"]["role"] == "member"


def test_an_admin_creates_an_account_and_bad_input_says_why(client: TestClient) -> None:
    login(client, "admin")
    response = post(client, "/admin/users", {"name": "nadia", "role": "facilitator", "password": "short"},
                    page="/admin/users")
    assert response.status_code == 400 and "10 caractères" in response.text
    response = post(client, "/admin/users", {"name": "nadia", "role": "facilitator", "password": "long-enough-1"},
                    page="/admin/users")
    assert response.status_code == 303
    assert re.search(r"<td>nadia</td>", client.get("/admin/users").text)


def test_event_handler_attributes_in_articles_never_reach_the_page(client: TestClient, app,
                                                                 newsroom: dict[str, int]) -> None:
    from models import Item

    with app.db.transaction() as session:
        item = session.get(Item, newsroom["b"])
        item.description = '<p onmouseover="alert(1)">Le <a href="javascript:alert(2)" onclick="x()">bio</a></p>'
        item.author = '"><svg onload=alert(3)>'
    login(client, "facilitator")
    html = client.get(f"/stories/{newsroom['canteen']}").text
    assert "onmouseover" not in html and "javascript:alert" not in html and "onclick" not in html
    assert "<svg onload" not in html and "&lt;svg onload=alert(3)&gt;" in html
    assert "Le bio" in html
