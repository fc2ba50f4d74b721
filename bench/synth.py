"""Synthetic archives for the benchmarks: realistic French items at 10k, 100k or 1M, bulk-loaded
into SQLite and/or PostgreSQL, then indexed by the real `models.search.rebuild_index`.

The text is new, generated at run time by word-bigram Markov chains trained on the project's
own corpora (the demo articles and the theme training data, read from the repository, never
copied into the output): one chain per theme for sentences and one for titles, so an item
about the environment talks like one. Item lengths follow the corpora's empirical length
distribution; dates spread over five years; about sixty outlets of every type; themes
(with 1 % facilitator labels), arrondissements, people and organisations (Zipf-distributed,
named in the text) and stories of a few items each.

    .venv/bin/python bench/synth.py --size 100000 --db both
    .venv/bin/python bench/synth.py --size 1000000 --db sqlite --out /tmp/veille-bench

It prints generation, load and index times and the database size.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import random
import re
import sys
import time
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from models import Database  # noqa: E402
from models.migrate import upgrade  # noqa: E402
from models.search import rebuild_index  # noqa: E402

THEMES = ("social_education", "environment", "public_space")
START = datetime(2022, 1, 1, tzinfo=timezone.utc)
END = datetime(2026, 11, 27, tzinfo=timezone.utc)
DEFAULT_PG = os.environ.get("VEILLE_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
SENTENCE_END = re.compile(r"(?<=[.!?»])\s+(?=[A-ZÀ-ÖØ-Ý«])")

FIRST = ("Anne Sophie Karim Nadia Julien Camille Thomas Léa Mehdi Claire Pierre Fatou Hugo Inès Marc Yasmine Paul "
         "Chloé Lucas Aïcha Antoine Manon Samir Élise Louis Sarah David Amina Nicolas Juliette Rachid Emma Olivier "
         "Jeanne Bruno Lina Franck Zoé Malik Hélène").split()
LAST = ("Martin Bernard Dubois Laurent Moreau Garcia Lefèvre Roux Fontaine Chevalier Benali Nguyen Diallo Morel "
        "Girard Mercier Blanc Guérin Boyer Rousseau Faure André Lemaire Haddad Perrin Colin Vidal Caron Picard Renard "
        "Marchand Brunet Leclerc Gauthier Traoré Meyer Barbier Arnaud Lambert Schmitt").split()
ORGS = ("Association des parents d'élèves", "Collectif Vélo", "Fondation du logement", "Syndicat des enseignants",
        "Comité de quartier", "Union des commerçants", "Maison des associations", "Conseil de quartier",
        "Régie de quartier", "Amicale des locataires", "Réseau des crèches", "Observatoire de l'air",
        "Collectif des riverains", "Fédération des parents", "Ligue de protection des arbres")
OUTLET_WORDS = ("Le Journal", "La Gazette", "L'Écho", "Le Courrier", "Les Nouvelles", "Le Petit Quotidien",
                "La Lettre", "Actu", "Le Fil", "La Voix")
PLACES = ("de Belleville", "du Marais", "de Montmartre", "des Batignolles", "de la Butte-aux-Cailles",
          "du Faubourg", "de Ménilmontant", "de Bercy", "de la Goutte-d'Or", "de Paris", "des Halles", "de Passy")
OUTLET_TYPES = ("national", "regional", "local", "institutional", "independent")


class Chain:
    """A word-bigram Markov chain: each word maps to the words seen after it."""

    def __init__(self) -> None:
        self.next: dict[str, list[str]] = defaultdict(list)

    def learn(self, sentence: str) -> None:
        words = sentence.split()
        if len(words) < 3:
            return
        for a, b in zip(["<s>", *words], [*words, "</s>"]):
            self.next[a].append(b)

    def sentence(self, rng: random.Random, max_words: int = 45) -> str:
        out: list[str] = []
        word = "<s>"
        while len(out) < max_words:
            word = rng.choice(self.next[word])
            if word == "</s>":
                break
            out.append(word)
        text_ = " ".join(out)
        return text_ if text_.endswith((".", "!", "?", "»")) else text_ + "."


def training_texts() -> tuple[list[tuple[str, str, tuple[str, ...]]], list[int]]:
    """(title, text, themes) of the corpora, and their text lengths in characters."""
    docs: list[tuple[str, str, tuple[str, ...]]] = []
    for path in sorted(glob.glob(str(ROOT / "pipelines/data/themes/*.jsonl"))):
        for line in open(path, encoding="utf-8"):
            record = json.loads(line)
            docs.append((record["title"], record["text"], tuple(record.get("themes") or ())))
    for line in open(ROOT / "veille/demo/corpus/articles.jsonl", encoding="utf-8"):
        record = json.loads(line)
        body = record["body"] if isinstance(record["body"], str) else " ".join(record["body"])
        docs.append((record["title"], f"{record.get('lead') or ''} {body}".strip(), ()))
    return docs, [len(t) for _, t, _ in docs]


class Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.np = np.random.default_rng(seed)
        docs, self.lengths = training_texts()
        chains = {theme: Chain() for theme in (*THEMES, "none")}
        titles = {theme: Chain() for theme in (*THEMES, "none")}
        for title, body, themes in docs:
            for theme in themes or ("none",):
                theme = theme if theme in chains else "none"
                titles[theme].learn(title)
                for sentence in SENTENCE_END.split(body):
                    chains[theme].learn(sentence)
        # Pools of generated sentences and titles: items are drawn from them, so a million
        # items cost a few seconds; every item is still a new combination.
        self.sentences = {t: [c.sentence(self.rng) for _ in range(12_000)] for t, c in chains.items()}
        self.titles = {t: [c.sentence(self.rng, 16).rstrip(".") for _ in range(8_000)] for t, c in titles.items()}
        self.people = [f"{f} {l}" for f in FIRST for l in LAST]
        self.orgs = [f"{o} {p}" for o in ORGS for p in PLACES]
        self.rng.shuffle(self.people)
        self.rng.shuffle(self.orgs)

    def outlets(self, count: int = 60) -> list[tuple[str, str]]:
        names = []
        for i in range(count):
            name = f"{OUTLET_WORDS[i % len(OUTLET_WORDS)]} {PLACES[(i * 7) % len(PLACES)]}"
            names.append((f"{name} {i // 10 + 1}" if i >= 10 else name,
                          OUTLET_TYPES[self.np.choice(5, p=[0.2, 0.25, 0.3, 0.1, 0.15])]))
        return names

    def items(self, count: int, outlets: int, batch: int) -> Iterator[list[dict[str, Any]]]:
        span = (END - START).total_seconds()
        # Growth: more items in later years (publication times drawn from a rising density).
        times = np.sort(START.timestamp() + span * np.sqrt(self.np.random(count)))
        lengths = self.np.choice(self.lengths, size=count) * self.np.uniform(0.8, 1.25, size=count)
        sources = (self.np.zipf(1.3, size=count) - 1) % outlets
        people = (self.np.zipf(1.2, size=(count, 3)) - 1) % len(self.people)
        orgs = (self.np.zipf(1.3, size=count) - 1) % len(self.orgs)
        for start in range(0, count, batch):
            rows = []
            for i in range(start, min(start + batch, count)):
                rows.append(self.item(i, float(times[i]), float(lengths[i]), int(sources[i]), people[i], int(orgs[i])))
            yield rows

    def item(self, i: int, when: float, length: float, source: int, people: Any, org: int) -> dict[str, Any]:
        rng = self.rng
        roll = rng.random()
        themes = [] if roll < 0.25 else rng.sample(THEMES, 2 if roll > 0.8 else 1)
        main = themes[0] if themes else "none"
        pool = self.sentences[main]
        parts: list[str] = []
        size = 0
        named = [self.people[int(p)] for p in people[: rng.randint(0, 3)]]
        entities = [("PER", n) for n in named]
        if rng.random() < 0.4:
            entities.append(("ORG", self.orgs[org]))
        while size < length:
            sentence = rng.choice(pool if rng.random() < 0.75 else self.sentences[rng.choice(list(self.sentences))])
            if entities and len(parts) == 1:
                sentence = f"Selon {entities[0][1]}, {sentence[0].lower()}{sentence[1:]}"
            parts.append(sentence)
            size += len(sentence) + 1
        arrondissements = sorted(rng.sample(range(1, 21), rng.choice((0, 0, 1, 1, 1, 2, 3))))
        if arrondissements:
            parts.insert(min(2, len(parts)), f"Cela concerne le {arrondissements[0]}e arrondissement.")
        published = datetime.fromtimestamp(when, timezone.utc).replace(microsecond=0)
        return {"n": i, "title": rng.choice(self.titles[main]), "text": " ".join(parts), "published_at": published,
                "source": source, "themes": themes, "places": arrondissements, "entities": entities,
                "label": rng.random() < 0.01, "story": int((when - START.timestamp()) // 86400) * 20
                + rng.randrange(20) if rng.random() < 0.3 else None}


def create_database(kind: str, size: int, out: Path, pg_url: str) -> Database:
    out.mkdir(parents=True, exist_ok=True)  # the benches keep their config and data here too
    if kind == "sqlite":
        path = out / f"synth-{size}.sqlite"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        database = Database(f"sqlite:///{path}")
    else:
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url
        name = f"veille_synth_{size}"
        admin = create_engine(make_url(pg_url), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0'))
        admin.dispose()
        database = Database(make_url(pg_url).set(database=name).render_as_string(hide_password=False))
    upgrade(database.engine)
    return database


def database_size(database: Database) -> int:
    if database.dialect == "sqlite":
        path = Path(database.engine.url.database or "")
        return sum(Path(f"{path}{s}").stat().st_size for s in ("", "-wal") if Path(f"{path}{s}").exists())
    with database.engine.connect() as connection:
        return connection.execute(text("SELECT pg_database_size(current_database())")).scalar_one()


ITEM_COLUMNS = ("id", "canonical_url", "url", "source_id", "title", "text", "language", "published_at",
                "date_source", "date_suspect", "first_seen_at", "last_seen_at", "updated_at", "state", "flags",
                "version", "fetch_attempts", "is_wire", "story_id")


def load(database: Database, generator: Generator, size: int, batch: int = 20_000) -> dict[str, float]:
    """Bulk-load sources, stories, items, theme scores, labels, places and entities."""
    figures: dict[str, float] = {}
    started = time.monotonic()
    now = datetime.now(timezone.utc).replace(microsecond=0)
    sqlite = database.dialect == "sqlite"

    def stamp(moment: datetime) -> Any:
        return moment.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else moment

    outlets = generator.outlets()
    days = int((END - START).total_seconds() // 86400) + 1
    with database.engine.begin() as connection:
        insert(connection, sqlite, "sources", ("id", "name", "url", "kind", "language", "outlet_type", "enabled",
                                               "options", "origin", "created_at", "updated_at", "key_mode",
                                               "redirect_seen", "consecutive_failures", "error_counts", "checks",
                                               "items_found"),
               [(i + 1, name, f"https://synth.example/{i}/feed.xml", "feed", "fr", kind, True, "{}", "import",
                 stamp(now), stamp(now), "guid", 0, 0, "{}", 0, 0) for i, (name, kind) in enumerate(outlets)])
        insert(connection, sqlite, "stories", ("id", "title", "title_locked", "item_count", "outlet_count",
                                               "keywords", "origin", "created_at", "updated_at", "state"),
               [(s + 1, f"Sujet {s + 1}", False, 0, 0, "[]", "cluster", stamp(now), stamp(now), "closed")
                for s in range(days * 20)])
    generated = 0.0
    batches = generator.items(size, len(outlets), batch)
    while True:
        t0 = time.monotonic()
        rows = next(batches, None)
        if rows is None:
            break
        items, scores, labels, places, entities = [], [], [], [], []
        for row in rows:
            item_id = row["n"] + 1
            published = row["published_at"]
            items.append((item_id, f"https://synth.example/a/{item_id}", f"https://synth.example/a/{item_id}",
                          row["source"] + 1, row["title"], row["text"], "fr", stamp(published), "feed", False,
                          stamp(published), stamp(published), stamp(published), "done", "[]", 1, 1, False,
                          row["story"] + 1 if row["story"] is not None else None))
            for theme in THEMES:
                assigned = theme in row["themes"]
                scores.append((item_id, theme, 0.8 if assigned else 0.1, assigned, "synth", "[]", stamp(published)))
            if row["label"]:
                labels.append((item_id, "Synthèse", json.dumps(row["themes"][:1]), "import", stamp(published)))
            places.extend((item_id, a, 1.0, "[]") for a in row["places"])
            for label, name in row["entities"]:
                entities.append((item_id, label, name, fold_name(name), 1))
        generated += time.monotonic() - t0
        with database.engine.begin() as connection:
            insert(connection, sqlite, "items", ITEM_COLUMNS, items)
            insert(connection, sqlite, "theme_scores", ("item_id", "theme", "score", "assigned", "model_version",
                                                        "reasons", "created_at"), scores)
            insert(connection, sqlite, "labels", ("item_id", "author", "themes", "origin", "created_at"), labels)
            insert(connection, sqlite, "item_places", ("item_id", "arrondissement", "score", "evidence"), places)
            insert(connection, sqlite, "entities", ("item_id", "label", "text", "norm", "count"), entities)
        print(f"  loaded {rows[-1]['n'] + 1:,} items", file=sys.stderr, flush=True)
    if not sqlite:
        with database.engine.begin() as connection:
            for table in ("sources", "stories", "items", "theme_scores", "labels", "item_places", "entities"):
                connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                        f"(SELECT coalesce(max(id), 1) FROM {table}))"))
    figures["generate_s"] = generated
    figures["load_s"] = time.monotonic() - started - generated
    return figures


def fold_name(name: str) -> str:
    import unicodedata
    decomposed = unicodedata.normalize("NFKD", name.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def insert(connection: Any, sqlite: bool, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    if sqlite:
        marks = ", ".join("?" for _ in columns)
        connection.exec_driver_sql(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
        return
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor:
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def index(database: Database) -> float:
    started = time.monotonic()
    last = [time.monotonic()]

    def progress(done: int, total: int) -> None:
        if time.monotonic() - last[0] > 10:
            last[0] = time.monotonic()
            print(f"  indexed up to item {done:,} of {total:,}", file=sys.stderr, flush=True)

    with database.transaction() as session:
        if database.dialect == "postgresql":
            session.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
        rebuild_index(session, batch=5000, progress=progress)
    if database.dialect == "postgresql":
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    else:
        with database.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            connection.exec_driver_sql("ANALYZE")
    return time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=10_000, help="items to generate (10000, 100000, 1000000)")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--out", type=Path, default=Path("/tmp/veille-bench"), help="folder of the SQLite files")
    parser.add_argument("--postgres", default=DEFAULT_PG, help="a PostgreSQL URL whose server gets the "
                                                                "database veille_synth_<size>")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    print(f"{'db':<11} {'items':>9} {'generate s':>10} {'load s':>8} {'index s':>8} {'size MB':>8}")
    for kind in kinds:
        generator = Generator(args.seed)
        database = create_database(kind, args.size, args.out, args.postgres)
        figures = load(database, generator, args.size)
        figures["index_s"] = index(database)
        size_mb = database_size(database) / 1e6
        print(f"{kind:<11} {args.size:>9,} {figures['generate_s']:>10.1f} {figures['load_s']:>8.1f} "
              f"{figures['index_s']:>8.1f} {size_mb:>8.0f}", flush=True)
        database.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
