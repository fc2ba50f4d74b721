import io
import json
from pathlib import Path

from pipelines.themes import Example, LineError, data_hash, iter_jsonl, project_examples, read_labelled


def test_the_project_training_data_is_large_balanced_and_multi_label() -> None:
    examples = project_examples()
    assert len(examples) >= 1000
    counts = {theme: sum(theme in e.themes for e in examples)
              for theme in ("social_education", "environment", "public_space")}
    assert min(counts.values()) >= 0.25 * len(examples)
    assert sum(len(e.themes) == 2 for e in examples) >= 0.2 * len(examples)
    assert sum(not e.themes for e in examples) >= 0.2 * len(examples)


def test_bad_lines_say_which_line_and_why_and_the_rest_is_read() -> None:
    lines = ['{"title": "A", "text": "b", "themes": ["environment"], "id": 7}',
             "{not json",
             '{"title": "A", "text": "b", "themes": ["sport"]}',
             '{"title": "", "text": "", "themes": []}',
             '["a list"]',
             '{"title": 3, "text": "b", "themes": []}',
             '{"title": "A", "text": "b"}',
             "",
             '{"title": "B", "text": "c", "themes": []}']
    found = dict(iter_jsonl(io.StringIO("\n".join(lines)), labelled=True))
    assert isinstance(found[1], Example) and found[1].themes == ("environment",) and found[1].extra == {"id": 7}
    assert "not valid JSON" in str(found[2])
    assert "unknown theme 'sport'" in str(found[3])
    assert "nothing to classify" in str(found[4])
    assert "JSON object" in str(found[5])
    assert "`title` must be a string" in str(found[6])
    assert "no `themes`" in str(found[7])
    assert isinstance(found[9], Example) and found[9].themes == ()
    assert all(isinstance(found[n], LineError) and found[n].line == n for n in (2, 3, 4, 5, 6, 7))


def test_unlabelled_reading_keeps_unknown_fields_and_ignores_themes(tmp_path: Path) -> None:
    (line_number, example), = iter_jsonl(['{"title": "A", "themes": "whatever", "url": "u"}'], labelled=False)
    assert example.themes is None and example.extra == {"themes": "whatever", "url": "u"}


def test_read_labelled_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    path.write_text(json.dumps({"title": "É", "text": "t", "themes": []}, ensure_ascii=False) + "\nbad\n",
                    encoding="utf-8")
    examples, errors = read_labelled(path)
    assert [e.title for e in examples] == ["É"] and [e.line for e in errors] == [2]


def test_the_data_hash_changes_with_a_label() -> None:
    a = [Example("t", "x", ("environment",))]
    b = [Example("t", "x", ())]
    assert data_hash(a) != data_hash(b)
    assert data_hash(a, "format=1") != data_hash(a, "format=2")
    assert data_hash(a) == data_hash(list(a))
