import re
from pathlib import Path

from veille.settings import iter_setting_keys

DOCS = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_every_setting_is_documented_in_the_configuration_reference() -> None:
    text = DOCS.read_text(encoding="utf-8")
    documented = set(re.findall(r"`([a-z_][a-z0-9_.\[\]*]*)`", text))
    missing = [key for key, _ in iter_setting_keys() if key not in documented]
    assert not missing, f"docs/configuration.md does not document: {', '.join(missing)}"


def test_every_setting_has_a_help_line() -> None:
    assert [key for key, field in iter_setting_keys() if not field.description] == []
