"""What every command shares: the lazily built application, errors people understand, output."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import typer
from sqlalchemy.exc import InterfaceError, OperationalError

from models import DatabaseError

from ..core import Veille, configure_logging
from ..settings import ConfigError, load_settings


class CommandError(Exception):
    """A failure the person at the terminal can act on; printed without a traceback."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class CliState:
    config: Path | None = None
    verbose: bool = False
    _app: Veille | None = field(default=None, repr=False)

    @property
    def app(self) -> Veille:
        if self._app is None:
            settings = load_settings(self.config)
            configure_logging("DEBUG" if self.verbose else settings.log_level)
            self._app = Veille(settings)
        return self._app


def state(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    if not isinstance(obj, CliState):
        obj = ctx.find_root().obj = CliState()
    return obj


def app_of(ctx: typer.Context) -> Veille:
    return state(ctx).app


def fail(message: str, code: int = 1) -> NoReturn:
    raise CommandError(message, code)


def echo_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")


def run_guarded(main: typer.Typer, argv: list[str] | None = None) -> int:
    """Run the Typer app; known failures become one line on stderr and an exit code."""
    try:
        result = main(args=argv, standalone_mode=False)
    except ConfigError as exc:
        typer.secho(f"veille: configuration error: {exc}", err=True, fg="red")
        return 2
    except DatabaseError as exc:
        typer.secho(f"veille: database error: {exc}", err=True, fg="red")
        return 3
    except (OperationalError, InterfaceError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:300]
        typer.secho(f"veille: the database is unavailable ({reason}): check that it runs and has room, "
                    "then run the command again; what was written before is kept and the run resumes "
                    "where it stopped", err=True, fg="red")
        return 3
    except CommandError as exc:
        typer.secho(f"veille: {exc}", err=True, fg="red")
        return exc.code
    except KeyboardInterrupt:
        typer.secho("veille: interrupted", err=True)
        return 130
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        typer.secho("Aborted.", err=True)
        return 1
    except typer.TyperException as exc:  # usage errors carry their own display and exit code
        exc.show()
        return exc.exit_code
    return result if isinstance(result, int) else 0
