"""Dedupe and story grouping stay near-linear: time for 10k and 100k items.

    .venv/bin/python bench/bench_dedupe_stories.py [--sizes 10000 100000] [--per-day 500]

Synthetic items, 500 a day: events of 1–6 items over up to three days, each with its own
invented names; bodies are the demo corpus's articles with a fifth of their words swapped
(so no two texts are equal), titles and leads are words of the corpus drawn at random plus
the event's names; 5 % of items are near-copies of one of the day before. Dedupe: `pipelines.dedupe.find_copies`
(MinHash LSH, 72 h window); stories: `pipelines.stories.cluster_stream` (daily steps,
7-day window), exactly the functions the stages use. Prints seconds and items per second.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pipelines.dedupe import DedupeOptions, Record, find_copies
from pipelines.stories import StoryOptions, StoryRecord, cluster_stream

ROOT = Path(__file__).resolve().parents[1]


SYLLABLES = ["ka", "ro", "vel", "mi", "dor", "lu", "sen", "ta", "bri", "no", "gal", "ve", "tur", "pa", "lin", "zo"]


def name(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(3)).capitalize()


def synthetic(n: int, per_day: int, seed: int = 7) -> tuple[list[Record], list[StoryRecord], int]:
    """Events of 1–6 items over up to 3 days, each with its own names (people, places)."""
    rng = random.Random(seed)
    articles = [json.loads(line) for line in
                (ROOT / "veille" / "demo" / "corpus" / "articles.jsonl").read_text(encoding="utf-8").splitlines()]
    vocabulary = sorted({word for a in articles for p in a["body"] for word in p.split() if len(word) > 4})
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    items: list[tuple[datetime, str, str, str]] = []
    while len(items) < n:
        moment = start + timedelta(seconds=len(items) * 86400 / per_day)
        article = articles[rng.randrange(len(articles))]
        names = [name(rng) for _ in range(3)]
        for _ in range(min(6, max(1, int(rng.expovariate(0.6))))):
            words = " ".join(article["body"]).split()
            for _ in range(len(words) // 5):
                words[rng.randrange(len(words))] = rng.choice(vocabulary)
            for extra in names:
                words.insert(rng.randrange(len(words)), extra)
            title = [rng.choice(vocabulary) for _ in range(7)] + names[:2]
            lead = [rng.choice(vocabulary) for _ in range(40)] + names
            rng.shuffle(title)
            rng.shuffle(lead)
            items.append((moment + timedelta(hours=rng.uniform(0, 72)), " ".join(title),
                          " ".join(lead), " ".join(words)))
    items = sorted(items[:n])
    records: list[Record] = []
    stories: list[StoryRecord] = []
    planted = 0
    for i, (when, title, lead, text) in enumerate(items):
        if i > per_day and rng.random() < 0.05:  # a near-copy of an item of the day before
            words = records[i - rng.randint(per_day // 2, per_day)].text.split()
            for _ in range(5):
                words[rng.randrange(len(words))] = rng.choice(vocabulary)
            text = " ".join(words)
            planted += 1
        records.append(Record(i, when, text))
        stories.append(StoryRecord(i, when, title, lead))
    return records, stories, planted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--per-day", type=int, default=500)
    args = parser.parse_args()
    for n in args.sizes:
        records, story_records, planted = synthetic(n, args.per_day)
        started = time.perf_counter()
        copies = find_copies(records, DedupeOptions())
        dedupe = time.perf_counter() - started
        found = sum(1 for c in copies.values() if c.kind == "near")
        print(f"{n:>7} items: dedupe {dedupe:6.1f} s ({n / dedupe:,.0f} items/s; "
              f"{found} copies marked, {planted} planted)", flush=True)
        started = time.perf_counter()
        stories = cluster_stream(story_records, StoryOptions())
        seconds = time.perf_counter() - started
        print(f"{n:>7} items: stories {seconds:6.1f} s ({n / seconds:,.0f} items/s; "
              f"{len(set(stories.values()))} stories of {len(stories)} items)", flush=True)


if __name__ == "__main__":
    main()
