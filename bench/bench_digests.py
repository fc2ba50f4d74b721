"""Bench: every format of the three groups' reviews from a week of 5,000 items.

Builds a throw-away SQLite archive (5,000 items in week 2026-W47 across 12 outlets, about
1,700 stories, theme scores, places; plus 1,000 items in each of the 7 weeks before, for the
history and blind spots), then times `build_reviews` for all formats and prints the split.
Target (issue 6): under 15 s in all on this machine, PDF included.

    .venv/bin/python bench/bench_digests.py [--items 5000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import insert

from models import Item, ItemPlace, Source, Story, ThemeScore
from veille.core import Veille
from veille.jobs.digest import build_reviews
from veille.settings import settings_from_dict

THEMES = ("social_education", "environment", "public_space")
OUTLETS = [(f"Média {n}", kind) for n, kind in enumerate(
    ["national", "regional", "local", "institutional", "independent"] * 2 + ["regional", "local"], 1)]
SUBJECTS = {
    "social_education": ["l'école {}", "la crèche {}", "le collège {}", "les logements sociaux {}",
                         "l'hébergement d'urgence {}", "le centre de santé {}"],
    "environment": ["la cour Oasis {}", "la pollution de l'air {}", "les arbres {}", "le compost {}",
                    "la baignade {}", "la rénovation énergétique {}"],
    "public_space": ["la piste cyclable {}", "la place {}", "le chantier {}", "le marché {}",
                     "la rue aux écoles {}", "les terrasses {}"],
}
PLACES = ["rue Keller", "boulevard Voltaire", "place de la République", "rue de Belleville", "avenue d'Italie",
          "rue de la Roquette", "quai de Jemmapes", "rue de Crimée", "boulevard Barbès", "rue Oberkampf"]
VERBS = ["annonce", "critique", "défend", "repousse", "présente", "conteste", "prépare", "inaugure"]
ACTORS = ["La mairie", "Un collectif d'habitants", "L'adjointe au maire", "Une association", "Le conseil de quartier",
          "La préfecture", "Les parents d'élèves", "Un élu d'opposition"]


def sentence(rng: random.Random, subject: str) -> str:
    return (f"{rng.choice(ACTORS)} {rng.choice(VERBS)} un projet pour {subject} "
            f"près de {rng.choice(PLACES)}, avec {rng.randint(2, 90)} mesures prévues d'ici {rng.randint(2027, 2030)}.")


def populate(app: Veille, items: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    week_start = datetime(2026, 11, 15, 23, 0, tzinfo=timezone.utc)  # Monday 16 November, Paris
    with app.db.transaction() as session:
        sources = []
        for name, kind in OUTLETS:
            source = Source(name=name, url=f"https://{kind}.example/{len(sources)}", outlet_type=kind)
            session.add(source)
            sources.append(source)
        session.flush()
        stories = [Story(title=None) for _ in range(items // 3)]
        session.add_all(stories)
        session.flush()
        item_rows, score_rows, place_rows = [], [], []
        next_id = 1
        batches = [(week_start, items)] + [(week_start - timedelta(weeks=k), 1000) for k in range(1, 8)]
        for start, count in batches:
            for _ in range(count):
                theme = rng.choice(THEMES)
                subject = rng.choice(SUBJECTS[theme]).format(f"du {rng.randint(1, 20)}e")
                when = start + timedelta(seconds=rng.randint(0, 7 * 86400 - 1))
                story = rng.choice(stories) if start == week_start and rng.random() < 0.7 else None
                text = "\n".join(" ".join(sentence(rng, subject) for _ in range(3)) for _ in range(4))
                item_rows.append({
                    "id": next_id, "canonical_url": f"https://example.org/{next_id}", "url": f"https://example.org/{next_id}",
                    "source_id": rng.choice(sources).id, "title": f"{subject.capitalize()} : {rng.choice(VERBS)}",
                    "summary": sentence(rng, subject), "text": text, "language": "fr", "author": None,
                    "published_at": when, "first_seen_at": when, "last_seen_at": when, "updated_at": when,
                    "state": "done", "story_id": story.id if story else None, "flags": [],
                    "is_wire": False, "date_suspect": False, "version": 1, "fetch_attempts": 0})
                for other in THEMES:
                    score = rng.uniform(0.55, 0.99) if other == theme else rng.uniform(0.0, 0.6)
                    score_rows.append({"item_id": next_id, "theme": other, "score": score, "assigned": score >= 0.5,
                                       "model_version": "bench", "created_at": when,
                                       "reasons": [{"term": subject.split()[1], "weight": 1.0, "kind": "lexicon"}]})
                for arr in rng.sample(range(1, 21), rng.choice([0, 1, 1, 2])):
                    place_rows.append({"item_id": next_id, "arrondissement": arr, "score": 1.0, "evidence": []})
                next_id += 1
        session.execute(insert(Item), item_rows)
        session.execute(insert(ThemeScore), score_rows)
        session.execute(insert(ItemPlace), place_rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=5000, help="Items in the reviewed week.")
    parser.add_argument("--keep", type=Path, help="Keep the database and outputs in this folder.")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-digests-"))
    folder.mkdir(parents=True, exist_ok=True)
    app = Veille(settings_from_dict({"data_dir": str(folder / "data"), "log_level": "WARNING"}))
    app.init_database()
    started = time.perf_counter()
    populate(app, args.items)
    print(f"archive: {args.items} items in 2026-W47 + 7,000 before, built in {time.perf_counter() - started:.1f} s")
    started, cpu = time.perf_counter(), time.process_time()
    report = build_reviews(app, week="2026-W47", out=folder / "out")
    total, cpu = time.perf_counter() - started, time.process_time() - cpu
    for group, counts in report.reviews.items():
        print(f"  {group}: {counts['items']} items, {counts['stories']} stories, {counts['outlets']} outlets")
    # The 2 cores are shared: CPU time of this process tells what the build costs when the
    # machine is busy with other work, wall time what a user waits.
    print(f"all formats, 3 groups: {total:.2f} s wall, {cpu:.2f} s CPU (target < 15 s)")
    for name, seconds in sorted(report.seconds.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<9} {seconds:6.2f} s  ({100 * seconds / total:4.1f} %)")
    sizes = {p.suffix: p.stat().st_size for p in report.files if "environment" in p.name}
    print("  sizes (environment): " + ", ".join(f"{ext} {size / 1024:.0f} KB" for ext, size in sorted(sizes.items())))
    app.close()
    if not args.keep:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
