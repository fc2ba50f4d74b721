"""Fixtures of the web tests: the app on the test database, accounts of every role, sample items."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from argon2 import PasswordHasher

from models.search import index_items
from models import Entity, Item, ItemPlace, Source, Story, ThemeScore, User
from veille.core import Veille
from veille.web import create_app

PASSWORD = "correct-horse-42"
ROLES = ("member", "facilitator", "analyst", "admin")
# A week of the sample data: 2026-W47 is Monday 16 to Sunday 22 November 2026.
WEEK = "2026-W47"
IN_WEEK = datetime(2026, 11, 18, 9, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="session")
def cheap_hash() -> str:
    """The test password hashed with light argon2 parameters: verifying it stays fast, and
    verification reads the parameters from the hash, so the production code path is the same."""
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)


@pytest.fixture
def accounts(app: Veille, cheap_hash: str) -> dict[str, int]:
    """One account per role, named after it (``member``, ``facilitator``, ``analyst``, ``admin``)."""
    with app.db.transaction() as session:
        users = [User(name=role, role=role, password_hash=cheap_hash) for role in ROLES]
        session.add_all(users)
        session.flush()
        return {user.name: user.id for user in users}


@pytest.fixture
def web(app: Veille) -> Any:
    return create_app(app)


@pytest.fixture
def client(web: Any, accounts: dict[str, int]) -> Iterator[TestClient]:
    with TestClient(web, follow_redirects=False) as test_client:
        yield test_client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def login(client: TestClient, name: str, password: str = PASSWORD, next_path: str = "/") -> Any:
    form = client.get("/login")
    return client.post("/login", data={"name": name, "password": password, "next": next_path,
                                       "csrf_token": csrf_of(form.text)})


@pytest.fixture
def login_as(client: TestClient) -> Callable[[str], TestClient]:
    def do(role: str) -> TestClient:
        response = login(client, role)
        assert response.status_code == 303, response.text
        return client

    return do


def post(client: TestClient, path: str, data: dict[str, Any] | None = None, page: str = "/account") -> Any:
    """POST a form with the CSRF token of the current session (read from a page)."""
    token = csrf_of(client.get(page).text)
    return client.post(path, data={**(data or {}), "csrf_token": token})


def add_source(session: Any, name: str = "Le Petit Parisien", outlet_type: str = "regional") -> Source:
    source = Source(name=name, url=f"https://{abs(hash(name)) % 10**6}.example.org/feed.xml", kind="feed",
                    outlet_type=outlet_type)
    session.add(source)
    session.flush()
    return source


def add_item(session: Any, source: Source, title: str, *, scores: dict[str, float] | None = None,
             when: datetime = IN_WEEK, story: Story | None = None, text: str = "",
             places: tuple[int, ...] = (), people: tuple[str, ...] = (), orgs: tuple[str, ...] = ()) -> Item:
    number = uuid.uuid4().hex
    item = Item(canonical_url=f"https://example.org/{number}", url=f"https://example.org/{number}",
                source_id=source.id, title=title, summary=text[:200] or title, text=text or title,
                published_at=when, first_seen_at=when, state="done", story_id=story.id if story else None)
    session.add(item)
    session.flush()
    for theme, score in (scores or {}).items():
        session.add(ThemeScore(item_id=item.id, theme=theme, score=score, assigned=score >= 0.5,
                               model_version="test", reasons=[{"term": "école", "weight": 0.8, "kind": "term"}]))
    for arr in places:
        session.add(ItemPlace(item_id=item.id, arrondissement=arr))
    for label, names in (("PER", people), ("ORG", orgs)):
        for name in names:
            session.add(Entity(item_id=item.id, label=label, text=name, norm=name.lower(), count=1))
    session.flush()
    return item


@pytest.fixture
def newsroom(app: Veille) -> dict[str, int]:
    """Three sources, two stories of the week and a lone item, all for social_education."""
    with app.db.transaction() as session:
        paper = add_source(session, "Le Petit Parisien", "regional")
        city = add_source(session, "Paris Mairie Infos", "institutional")
        blog = add_source(session, "Rue Libre", "independent")
        canteen = Story(title="Cantines scolaires bio", keywords=[])
        streets = Story(title=None, keywords=[])
        session.add_all([canteen, streets])
        session.flush()
        a = add_item(session, paper, "Les cantines des écoles passent au bio", scores={"social_education": 0.9},
                     story=canteen, people=("Anne Martin",), orgs=("Caisse des écoles",), places=(11,))
        b = add_item(session, city, "La Ville généralise le bio dans les cantines", story=canteen,
                     scores={"social_education": 0.8, "environment": 0.55}, people=("Anne Martin", "Paul Roy"),
                     orgs=("Ville de Paris",), places=(11, 20))
        c = add_item(session, blog, "Rues aux écoles : trente nouvelles rues fermées", story=streets,
                     scores={"social_education": 0.6, "public_space": 0.7}, places=(18,))
        d = add_item(session, blog, "Un collège rénové dans le 13e", scores={"social_education": 0.35})
        e = add_item(session, paper, "Résultats du PSG", scores={"social_education": 0.02})
        index_items(session, [a.id, b.id, c.id, d.id, e.id])
    return {"canteen": canteen.id, "streets": streets.id, "a": a.id, "b": b.id, "c": c.id, "d": d.id, "e": e.id}
