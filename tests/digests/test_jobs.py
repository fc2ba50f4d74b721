"""The shell around the library: `build_reviews`, `publish_review` and the `veille digest` commands."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from models import Database, Digest, User
from veille.cli import app as cli
from veille.cli.common import run_guarded
from veille.core import Veille
from veille.jobs.digest import DigestJobError, build_reviews, publish_review

from .conftest import fill


def test_build_writes_every_format_for_every_group_and_records_drafts(digest_app: Veille, database: Database,
                                                                     tmp_path: Path) -> None:
    fill(database)
    out = tmp_path / "out"
    report = build_reviews(digest_app, week="2026-W47", out=out)
    folder = out / "reviews" / "2026-W47"
    for group in ("environment", "social_education", "public_space"):
        for ext in ("html", "md", "txt", "pdf", "eml"):
            assert (folder / f"{group}.{ext}").stat().st_size > 0
        assert (out / "reviews" / f"{group}.atom").exists()
    assert len(report.files) == 18
    assert "2026-W47 (semaine du 16 au 22 novembre 2026): 18 files" in report.summary()
    eml = email.message_from_bytes((folder / "environment.eml").read_bytes(), policy=policy.default)
    assert eml["To"] == "lea@example.org, amadou@example.org"
    with database.reader() as session:
        digests = {d.group: d for d in session.scalars(select(Digest))}
    assert digests["environment"].status == "draft" and digests["environment"].counts["items"] == 10
    assert digests["public_space"].counts["items"] == 1


def test_a_failing_format_is_reported_and_the_others_are_still_written(
        digest_app: Veille, database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import weasyprint

    def broken(*args: object, **kwargs: object) -> bytes:
        raise OSError("cannot load library 'libpango-1.0-0'")

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", broken)  # a true external: the system's Pango
    fill(database)
    report = build_reviews(digest_app, week="2026-W47", groups=["environment"], formats="pdf,md", out=tmp_path)
    assert report.errors == ["environment pdf: OSError: cannot load library 'libpango-1.0-0'"]
    assert [p.name for p in report.files] == ["environment.md"]
    assert "FAILED: environment pdf" in report.summary()


def test_a_published_review_is_built_as_it_was_published(digest_app: Veille, database: Database,
                                                         tmp_path: Path) -> None:
    fill(database)
    publish_review(digest_app, "environment", "2026-W47")
    with database.transaction() as session:  # later changes to the archive do not alter it
        digest = session.scalar(select(Digest).where(Digest.group == "environment"))
        assert digest is not None
        digest.editor_note = "Changed after publication"
    build_reviews(digest_app, week="2026-W47", groups=["environment"], formats="md,atom", out=tmp_path)
    markdown = (tmp_path / "reviews" / "2026-W47" / "environment.md").read_text(encoding="utf-8")
    assert "Brouillon" not in markdown and "Changed after publication" not in markdown
    assert "<entry>" in (tmp_path / "reviews" / "environment.atom").read_text(encoding="utf-8")


def test_publishing_records_who_published(digest_app: Veille, database: Database) -> None:
    fill(database)
    with database.transaction() as session:
        session.add(User(name="claire", role="facilitator"))
    review = publish_review(digest_app, "environment", "2026-W47", "claire")
    assert review.status == "published"
    with database.reader() as session:
        digest = session.scalar(select(Digest).where(Digest.group == "environment"))
        assert digest is not None and digest.published_by_id is not None and digest.context is not None
        assert sorted(d.recipient for d in digest.deliveries) == ["amadou@example.org", "lea@example.org"]
    with pytest.raises(DigestJobError, match="no user named 'nobody'"):
        publish_review(digest_app, "environment", "2026-W47", "nobody")


def test_auto_publish_groups_are_published_at_build(digest_app: Veille, database: Database, tmp_path: Path) -> None:
    fill(database)
    digest_app.settings.digests.groups["environment"].auto_publish = True
    report = build_reviews(digest_app, week="2026-W47", formats="txt", out=tmp_path)
    assert report.published == ["environment"]
    with database.reader() as session:
        statuses = dict(session.execute(select(Digest.group, Digest.status)).all())
    assert statuses == {"environment": "published", "social_education": "draft", "public_space": "draft"}


@pytest.mark.parametrize("kwargs, message", [
    ({"week": "2026-47"}, "YYYY-Www"), ({"groups": ["sport"]}, "unknown group 'sport'"),
    ({"formats": "html,docx"}, "unknown format 'docx'")])
def test_bad_input_is_refused_with_what_is_allowed(sqlite_app: Veille, tmp_path: Path, kwargs: dict,
                                                    message: str) -> None:
    with pytest.raises(DigestJobError, match=message):
        build_reviews(sqlite_app, out=tmp_path, **{"week": "2026-W47", **kwargs})


def config_of(app: Veille, folder: Path) -> Path:
    """A config.yaml holding the test application's settings (its database included)."""
    path = folder / "config.yaml"
    data = app.settings.model_dump(mode="json", by_alias=True, exclude={"config_path"}, exclude_none=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_the_cli_builds_publishes_and_sends(digest_app: Veille, database: Database, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    fill(database)
    config = ["--config", str(config_of(digest_app, tmp_path))]
    assert run_guarded(cli, config + ["digest", "build", "--week", "2026-W47", "--group", "environment",
                                      "--format", "md,txt", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "2 files" in out and "environment: 10 items, 6 stories" in out
    assert run_guarded(cli, config + ["digest", "publish", "--group", "environment", "--week", "2026-W47"]) == 0
    assert "Published: Environnement, semaine du 16 au 22 novembre 2026" in capsys.readouterr().out
    assert run_guarded(cli, config + ["digest", "send", "--dry-run"]) == 0
    assert "dry run: 2 e-mails would be sent" in capsys.readouterr().out
    assert run_guarded(cli, config + ["digest", "build", "--week", "2026-W99"]) == 2
    assert "2026 has weeks 1 to 53" in capsys.readouterr().err
