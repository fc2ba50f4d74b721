"""The web app in a real browser (Debian's chromium through Playwright), on a live uvicorn server.

Screenshots of the main pages go to the artefacts folder (test-artifacts/web-*.png).
"""

from __future__ import annotations

import csv
import shutil
import socket
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
import uvicorn

from tests.veille.web.conftest import PASSWORD, WEEK
from veille.jobs.digest import publish_review
from veille.web import create_app

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database", ["sqlite"], indirect=True)]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live(app: Any, accounts: dict[str, int], newsroom: dict[str, int]) -> Iterator[str]:
    """The app served by uvicorn in a thread on 127.0.0.1."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(app), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (.ci/run does it)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield launched
        launched.close()


def log_in(page: Any, base: str, name: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_a_facilitator_corrects_pins_writes_and_publishes(browser, live, artifacts_dir: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, live, "facilitator")
    inbox = f"{live}/curate/social_education/{WEEK}"
    page.goto(inbox)
    page.screenshot(path=str(artifacts_dir / "web-inbox.png"), full_page=True)

    item = page.locator(".item", has_text="Un collège rénové dans le 13e")
    item.locator("summary").click()
    item.locator("input[value=environment]").check()
    item.locator("button", has_text="Enregistrer les thèmes").click()
    page.wait_for_load_state()
    assert "Thèmes enregistrés" in page.inner_text(".flash")
    assert "décidé par facilitator" in page.locator(".item", has_text="Un collège rénové").inner_text()

    story = page.locator("article.story", has=page.locator("h3", has_text="Rues aux écoles"))
    story.locator("button[data-action=pin]").click()
    page.wait_for_load_state()
    assert "épinglé" in page.locator("article.story").first.inner_text()

    page.fill("#note", "Cette semaine, les rues aux écoles.")
    page.click("text=Enregistrer le mot")
    page.wait_for_load_state()
    page.click("#publish")
    page.wait_for_url(f"**/reviews/social_education/{WEEK}*")
    text = page.inner_text("main")
    assert "La revue est publiée" in text
    assert "Cette semaine, les rues aux écoles." in text
    assert text.index("Rues aux écoles") < text.index("Cantines")
    page.screenshot(path=str(artifacts_dir / "web-review-published.png"), full_page=True)

    page.goto(f"{live}/stories/{_story_id(page, live)}")
    page.screenshot(path=str(artifacts_dir / "web-dossier.png"), full_page=True)
    page.goto(f"{live}/audit")
    assert {"label", "pin", "editor_note", "publish"} <= set(page.locator("tbody td:nth-child(3)").all_inner_texts())
    page.screenshot(path=str(artifacts_dir / "web-audit.png"), full_page=True)
    page.close()


def _story_id(page: Any, base: str) -> int:
    page.goto(f"{base}/curate/social_education/{WEEK}")
    href = page.locator("a", has_text="dossier de décryptage").first.get_attribute("href")
    return int(href.rsplit("/", 1)[1])


def test_a_member_reads_the_review_on_a_phone(browser, live, app, artifacts_dir: Path) -> None:
    publish_review(app, "social_education", WEEK)
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    log_in(page, live, "member")
    page.goto(live)
    page.click("text=Revue de la semaine du 16 au 22 novembre 2026")
    page.wait_for_load_state()
    assert "Cantines" in page.inner_text("main")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    page.screenshot(path=str(artifacts_dir / "web-review-phone.png"), full_page=True)
    context.close()


def test_an_analyst_searches_a_phrase_with_a_filter_and_downloads_the_csv(browser, live, artifacts_dir: Path,
                                                                          tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    log_in(page, live, "analyst")
    page.goto(f"{live}/search")
    page.fill("input[name=q]", '"rues aux écoles" OR cantines')
    page.select_option("select[name=theme]", "social_education")
    page.click("form.search-form button[type=submit]")
    page.wait_for_load_state()
    assert page.inner_text("#total") == "3"
    assert page.locator(".hit mark").count() > 0
    page.screenshot(path=str(artifacts_dir / "web-search.png"), full_page=True)
    with page.expect_download() as download_info:
        page.click("#export-csv")
    path = tmp_path / "export.csv"
    download_info.value.save_as(path)
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert len(rows) == 3 and {r["source"] for r in rows} >= {"Le Petit Parisien", "Rue Libre"}
    page.click("text=évolution dans le temps")
    page.wait_for_load_state()
    page.screenshot(path=str(artifacts_dir / "web-coverage.png"), full_page=True)
    page.go_back()
    page.click("text=carte")
    page.wait_for_load_state()
    assert page.locator(".map svg").count() == 1
    page.screenshot(path=str(artifacts_dir / "web-map.png"), full_page=True)
    page.close()


def test_the_admin_pages_render(browser, live, artifacts_dir: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, live, "admin")
    for name in ("sources", "runs", "users"):
        page.goto(f"{live}/admin/{name}")
        assert page.locator("h1").count() == 1
        page.screenshot(path=str(artifacts_dir / f"web-admin-{name}.png"), full_page=True)
    page.close()
