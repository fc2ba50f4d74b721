"""Fixtures and helpers of the pipelines tests."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO_CORPUS = ROOT / "veille" / "demo" / "corpus"


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def __str__(self) -> str:
        return f"P {self.precision:.4f} R {self.recall:.4f} F1 {self.f1:.4f} (tp {self.tp} fp {self.fp} fn {self.fn})"


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def score_extraction(corpus: Path, extractor: Callable[[bytes], str | None],
                     french_only: bool = False) -> Score:
    """The corpus README's rule: raw bytes in, snippets micro-averaged over every page."""
    expected = json.loads((corpus / "expected.json").read_text(encoding="utf-8"))
    score = Score()
    for path, page in expected.items():
        if french_only and not page["french"]:
            continue
        output = extractor((corpus / path).read_bytes())
        text = _norm(output) if output else ""
        for snippet in page["with"]:
            if text and _norm(snippet) in text:
                score.tp += 1
            else:
                score.fn += 1
        for snippet in page["without"]:
            if text and _norm(snippet) in text:
                score.fp += 1
    return score


def pairwise(groups: dict[str, str | None], predicted: dict[str, object | None],
             ids: Iterable[str]) -> Score:
    """Pairwise story scores: a pair is positive when both items share a (non-null) group."""
    ids = sorted(ids)
    score = Score()
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            truth = groups[a] is not None and groups[a] == groups[b]
            guess = predicted.get(a) is not None and predicted.get(a) == predicted.get(b)
            if truth and guess:
                score.tp += 1
            elif guess:
                score.fp += 1
            elif truth:
                score.fn += 1
    return score


@pytest.fixture(scope="session")
def extraction_corpus(shared_dir: Path) -> Path:
    return shared_dir / "corpora" / "extraction"


@pytest.fixture(scope="session")
def demo_articles() -> list[dict]:
    return [json.loads(line) for line in (DEMO_CORPUS / "articles.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="session")
def demo_manifest() -> dict[str, dict]:
    lines = (DEMO_CORPUS / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    return {record["id"]: record for record in map(json.loads, lines)}


def add_items(db, articles: list[dict], *, page: bool = True, state: str = "fetched") -> dict[str, int]:
    """Store demo-corpus articles as fetched items (with an HTML page); {article id: item id}."""
    import zlib
    from datetime import datetime

    from models import Item, ItemPage, Source

    ids: dict[str, int] = {}
    with db.transaction() as session:
        sources: dict[str, Source] = {}
        for article in articles:
            outlet = article["outlet"]
            if outlet not in sources:
                sources[outlet] = Source(name=outlet, url=f"http://127.0.0.1/{outlet}/feed", outlet_type="local")
                session.add(sources[outlet])
                session.flush()
            url = f"http://127.0.0.1/{outlet}/{article['slug']}"
            item = Item(canonical_url=url, url=url, source_id=sources[outlet].id, title=article["title"],
                        summary=article["lead"], published_at=datetime.fromisoformat(article["published"]),
                        date_source="feed", state=state, author=article.get("author"))
            session.add(item)
            session.flush()
            if page:
                session.add(ItemPage(item_id=item.id, status=200, content_type="text/html",
                                     body=zlib.compress(article_html(article).encode("utf-8"))))
            ids[article["id"]] = item.id
    return ids


def article_html(article: dict) -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in article["body"])
    byline = f"<p class='byline'>Par {article['author']}</p>" if article.get("author") else ""
    return (f"<html lang='fr'><head><title>{article['title']}</title></head><body>"
            f"<nav><a href='/'>Accueil</a> <a href='/paris'>Paris</a></nav><article><h1>{article['title']}</h1>"
            f"{byline}<p class='lead'>{article['lead']}</p>{paragraphs}</article>"
            f"<footer>Tous droits réservés</footer></body></html>")
