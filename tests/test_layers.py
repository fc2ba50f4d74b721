"""The import rule of the design: models/ imports nothing of ours; watch/, pipelines/ and
digests/ import models/ and never each other's internals (only a sibling's top-level public
API, `from pipelines import x`); nothing imports the shell veille/."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = {"models", "watch", "pipelines", "digests", "veille"}
LIBRARIES = {"watch", "pipelines", "digests"}


def imports_of(path: Path) -> list[tuple[str, str]]:
    """(package, full module) for every import of one of our packages."""
    found: list[tuple[str, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.extend((alias.name.split(".")[0], alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module.split(".")[0], node.module))
    return [(package, module) for package, module in found if package in OURS]


def violation(package: str, imported: str, module: str) -> bool:
    if imported == package:
        return False
    if package == "veille":
        return False
    if imported == "veille":
        return True
    if package == "models":
        return True
    if imported == "models":
        return False
    # A library may use a sibling's public API, never its internals.
    return module != imported


@pytest.mark.parametrize("package", sorted(OURS))
def test_package_imports_only_what_the_design_allows(package: str) -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for imported, module in imports_of(path)
        if violation(package, imported, module)
    ]
    assert not offenders, "\n".join(offenders)


def test_the_rule_catches_a_library_reaching_into_a_sibling() -> None:
    assert violation("digests", "pipelines", "pipelines.enrich")
    assert violation("models", "watch", "watch")
    assert violation("watch", "veille", "veille.settings")
    assert not violation("digests", "pipelines", "pipelines")
    assert not violation("veille", "watch", "watch.http")
