"""Multi-label metrics over the three themes, as `veille model eval --json` prints them."""

from __future__ import annotations

from typing import Any, Sequence

from .lexicon import THEMES


def _f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def evaluate(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]) -> dict[str, Any]:
    """``{"n", "macro_f1", "micro_f1", "exact_match", "per_theme", "none", "confusion"}``.

    ``none`` counts the items labelled with no theme and how many of them got a tag;
    ``confusion[a][b]`` counts items labelled `a` but not `b` that were tagged `b` (and
    ``confusion["none"][b]`` the unlabelled items tagged `b`).
    """
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted labels differ in length")
    per_theme: dict[str, dict[str, float]] = {}
    totals = [0, 0, 0]
    for theme in THEMES:
        tp = sum(1 for g, p in zip(gold, predicted) if theme in g and theme in p)
        fp = sum(1 for g, p in zip(gold, predicted) if theme not in g and theme in p)
        fn = sum(1 for g, p in zip(gold, predicted) if theme in g and theme not in p)
        precision, recall, f1 = _f1(tp, fp, fn)
        per_theme[theme] = {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
                            "support": tp + fn}
        totals = [totals[0] + tp, totals[1] + fp, totals[2] + fn]
    n = len(gold)
    micro = _f1(*totals)[2]
    off = [p for g, p in zip(gold, predicted) if not g]
    confusion = {source: {target: 0 for target in THEMES} for source in (*THEMES, "none")}
    for g, p in zip(gold, predicted):
        for target in set(p) - set(g):
            for source in (g or ["none"]):
                confusion[source][target] += 1
    return {
        "n": n,
        "macro_f1": round(sum(m["f1"] for m in per_theme.values()) / len(THEMES), 4) if n else 0.0,
        "micro_f1": round(micro, 4),
        "exact_match": round(sum(1 for g, p in zip(gold, predicted) if set(g) == set(p)) / n, 4) if n else 0.0,
        "per_theme": per_theme,
        "none": {"support": len(off), "tagged": sum(1 for p in off if p)},
        "confusion": confusion,
    }


def best_threshold(scores: Sequence[float], truth: Sequence[bool],
                   low: float = 0.15, high: float = 0.85, step: float = 0.01) -> tuple[float, float]:
    """The threshold in [low, high] with the best F1 on (scores, truth), and that F1.

    Ties go to the threshold nearest 0.5, so a flat optimum does not drift to an extreme.
    """
    best = (0.5, -1.0)
    steps = int(round((high - low) / step))
    for i in range(steps + 1):
        threshold = low + i * step
        tp = sum(1 for s, t in zip(scores, truth) if s >= threshold and t)
        fp = sum(1 for s, t in zip(scores, truth) if s >= threshold and not t)
        fn = sum(1 for s, t in zip(scores, truth) if s < threshold and t)
        f1 = _f1(tp, fp, fn)[2]
        if f1 > best[1] + 1e-9 or (abs(f1 - best[1]) <= 1e-9 and abs(threshold - 0.5) < abs(best[0] - 0.5)):
            best = (round(threshold, 4), f1)
    return best
