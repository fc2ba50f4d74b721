"""`veille demo` end to end: the sample corpus crawled, processed and reviewed, offline."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from veille.cli import app
from veille.cli.common import run_guarded

GROUPS = ("social_education", "environment", "public_space")


@pytest.mark.slow
def test_the_demo_writes_three_reviews_of_the_corpus_latest_week(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert run_guarded(app, ["demo", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "176 new items" in printed and "176 done" in printed
    week = re.search(r"Press reviews of (\d{4}-W\d{2})", printed)
    assert week and week.group(1) == "2026-W47"  # the corpus's last week, not today's
    for group in GROUPS:
        page = out / "reviews" / "2026-W47" / f"{group}.html"
        assert str(page) in printed
        html = page.read_text(encoding="utf-8")
        assert 'lang="fr"' in html and "semaine du 16 au 22 novembre 2026" in html.lower()
        counts = re.search(r"(\d+)\s+articles\W", html)
        assert counts and int(counts.group(1)) >= 5, f"{group}: too few articles in the review"
        for suffix in (".md", ".txt", ".pdf", ".eml"):
            assert page.with_suffix(suffix).stat().st_size > 1000
        assert (out / "reviews" / f"{group}.atom").exists()
    # Run again in the same folder: the demo starts afresh and ends the same way.
    assert run_guarded(app, ["demo", "--out", str(out)]) == 0
    assert "176 new items" in capsys.readouterr().out
