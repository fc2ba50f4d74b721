"""Theme model benchmark: training time, throughput, quality on paris-dev vs the keyword baseline.

    .venv/bin/python bench/bench_themes.py [--items 10000] [--spacy-items 2000] [--json]

Prints figures measured in this run on this machine:
- training time of the shipped model (project data only, as `veille model train`);
- classification throughput on N distinct items (sentences of the training data recombined),
  without and with the spaCy stage (fr_core_news_sm, parser and NER off) in front of it:
  spaCy is timed on `--spacy-items` items and its rate applied to N;
- paris-dev (../shared/corpora/paris-dev) metrics of the model and of the keyword baseline,
  the confusion, and the model's errors.
The dev set is read at run time, never copied.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipelines.themes import (THEMES, KeywordBaseline, Lexicon, evaluate, project_examples,  # noqa: E402
                              read_labelled, train)

DEV = ROOT.parent / "shared" / "corpora" / "paris-dev" / "paris_news_dev.jsonl"


def synthetic_items(n: int, seed: int = 7) -> list[tuple[str, str]]:
    """N distinct items: a training title and three sentences drawn from different training texts."""
    examples = project_examples()
    sentences = [s for e in examples for s in re.split(r"(?<=[.!?])\s+", e.text) if len(s) > 40]
    rng = random.Random(seed)
    return [(rng.choice(examples).title, " ".join(rng.sample(sentences, 3))) for _ in range(n)]


def spacy_rate(items: list[tuple[str, str]]) -> tuple[float, float]:
    import spacy

    started = time.perf_counter()
    nlp = spacy.load("fr_core_news_sm", exclude=["parser", "ner"])
    load = time.perf_counter() - started
    started = time.perf_counter()
    for _ in nlp.pipe((f"{title}. {text}" for title, text in items), batch_size=64):
        pass
    return load, len(items) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--spacy-items", type=int, default=2_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures: dict = {}

    examples = project_examples()
    started = time.perf_counter()
    result = train(examples)
    figures["train_seconds"] = round(time.perf_counter() - started, 2)
    figures["train_examples"] = len(examples)
    figures["cv_macro_f1"] = result.metrics["macro_f1"]
    model = result.classifier
    figures["thresholds"] = model.thresholds

    items = synthetic_items(args.items)
    started = time.perf_counter()
    model.predict(items)
    seconds = time.perf_counter() - started
    figures["classify_items_per_second"] = round(len(items) / seconds)
    figures["classify_seconds"] = round(seconds, 2)
    started = time.perf_counter()
    model.predict(items[:2000], reasons=False)
    figures["classify_no_reasons_items_per_second"] = round(2000 / (time.perf_counter() - started))
    load, rate = spacy_rate(items[: args.spacy_items])
    figures["spacy_load_seconds"] = round(load, 2)
    figures["spacy_items_per_second"] = round(rate)
    with_spacy = args.items / rate + seconds
    figures["with_spacy_items_per_second"] = round(args.items / with_spacy)

    if DEV.is_file():
        dev, _ = read_labelled(DEV)
        gold = [list(e.themes or ()) for e in dev]
        predictions = model.predict([(e.title, e.text) for e in dev])
        figures["dev"] = evaluate(gold, [p.themes for p in predictions])
        baseline = KeywordBaseline(Lexicon.default()).fit(examples)
        figures["dev_keyword_baseline"] = evaluate(gold, baseline.predict([(e.title, e.text) for e in dev]))
        figures["dev_errors"] = [
            {"id": e.extra.get("id"), "gold": list(e.themes or ()), "predicted": p.themes,
             "scores": p.scores, "title": e.title[:90],
             "reasons": {t: [r["term"] for r in rs[:4]] for t, rs in p.reasons.items()}}
            for e, p in zip(dev, predictions) if set(e.themes or ()) != set(p.themes)]
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
        return
    print(f"training: {figures['train_seconds']} s on {figures['train_examples']} examples "
          f"(cross-validated macro-F1 {figures['cv_macro_f1']:.3f}); thresholds {figures['thresholds']}")
    print(f"classify {args.items} items: {figures['classify_seconds']} s = "
          f"{figures['classify_items_per_second']} items/s with reasons "
          f"({figures['classify_no_reasons_items_per_second']} items/s without)")
    print(f"spaCy fr_core_news_sm (tagger+lemmatizer): {figures['spacy_items_per_second']} items/s "
          f"(load {figures['spacy_load_seconds']} s); spaCy + classifier: "
          f"{figures['with_spacy_items_per_second']} items/s")
    if "dev" in figures:
        for name in ("dev", "dev_keyword_baseline"):
            m = figures[name]
            per = ", ".join(f"{t} {m['per_theme'][t]['f1']:.3f}" for t in THEMES)
            print(f"{name}: macro-F1 {m['macro_f1']:.3f} micro-F1 {m['micro_f1']:.3f} exact {m['exact_match']:.3f} "
                  f"({per}); off-theme tagged {m['none']['tagged']}/{m['none']['support']}")
        print("confusion (labelled row, wrongly tagged column):")
        for source, row in figures["dev"]["confusion"].items():
            print(f"  {source:<17} " + "  ".join(f"{t} {row[t]}" for t in THEMES))
        print(f"errors ({len(figures['dev_errors'])}):")
        for error in figures["dev_errors"]:
            print(f"  {error['id']} gold {'+'.join(error['gold']) or 'none'} → "
                  f"{'+'.join(error['predicted']) or 'none'}  {error['title']}")


if __name__ == "__main__":
    main()
