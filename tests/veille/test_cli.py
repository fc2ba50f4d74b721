import subprocess
import sys
from pathlib import Path

import pytest
import typer.core
import typer.main

from veille.cli import app
from veille.cli.common import run_guarded


def all_command_paths() -> list[list[str]]:
    root = typer.main.get_command(app)
    paths: list[list[str]] = []

    def walk(command: typer.core.TyperCommand, prefix: list[str]) -> None:
        paths.append(prefix)
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                walk(sub, prefix + [name])

    walk(root, [])
    return paths


@pytest.mark.parametrize("path", all_command_paths(), ids=lambda p: " ".join(p) or "veille")
def test_every_command_has_help(path: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert run_guarded(app, path + ["--help"]) == 0
    assert "Usage:" in capsys.readouterr().out


def test_the_contract_commands_exist() -> None:
    names = {" ".join(p) for p in all_command_paths()}
    assert names >= {"init", "demo", "sources list", "sources status", "sources import", "sources export",
                     "sources discover", "crawl", "process", "run", "digest build", "digest send", "search",
                     "model train", "model eval", "classify", "extract", "serve", "users add"}


def test_init_creates_the_database_and_loads_sources(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("data_dir: data\nsources:\n  - name: Test\n    url: https://example.org/feed\n"
                      "    outlet_type: local\n", encoding="utf-8")
    assert run_guarded(app, ["--config", str(config), "init"]) == 0
    out = capsys.readouterr().out
    assert "created (revision" in out and "1 added" in out
    assert (tmp_path / "data" / "veille.sqlite").exists()
    assert run_guarded(app, ["--config", str(config), "init"]) == 0
    assert "up to date" in capsys.readouterr().out
    assert run_guarded(app, ["--config", str(config), "sources", "list"]) == 0
    assert "https://example.org/feed" in capsys.readouterr().out


def test_a_command_before_init_says_to_run_init(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("data_dir: data\n", encoding="utf-8")
    (tmp_path / "data").mkdir()
    assert run_guarded(app, ["--config", str(config), "sources", "list"]) == 3
    assert "run `veille init`" in capsys.readouterr().err


def test_a_bad_config_is_one_clear_message_not_a_traceback(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("watch:\n  min_host_gap: -1\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "veille", "--config", str(config), "init"],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert "watch.min_host_gap: Input should be greater than or equal to 0 (got -1)" in result.stderr
    assert "Traceback" not in result.stderr
