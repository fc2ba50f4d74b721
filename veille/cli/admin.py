"""init, demo, run, serve, users."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from ..accounts import AccountError, create_user, issue_token
from ..jobs.setup import initialise
from .common import app_of, fail, state

users = typer.Typer(help="Manage accounts.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("demo")(demo)
    app.command("run")(run)
    app.command("serve")(serve)
    app.add_typer(users, name="users")


def init(ctx: typer.Context) -> None:
    """Create or upgrade the database, load the sources of config.yaml, train the model if none."""
    report = initialise(app_of(ctx), echo=typer.echo)
    typer.echo(report)


def demo(
    ctx: typer.Context,
    out: Path = typer.Option(Path("out"), "--out", help="Folder for the demo database and the reviews."),
    serve_after: bool = typer.Option(False, "--serve", help="Then start the web app on the demo database."),
) -> None:
    """Run the whole pipeline offline on the bundled sample corpus and write the week's reviews."""
    from ..demo.run import run_demo

    run_demo(out=out, serve=serve_after, verbose=state(ctx).verbose, config=state(ctx).config)


def run(ctx: typer.Context) -> None:
    """Start the scheduler: poll sources, process items, build and send reviews, retrain."""
    from ..scheduler import SchedulerLockError, run_scheduler

    try:
        run_scheduler(app_of(ctx))
    except SchedulerLockError as exc:
        fail(str(exc))


def serve(
    ctx: typer.Context,
    host: Optional[str] = typer.Option(None, "--host", help="Address to listen on (default: web.host)."),
    port: Optional[int] = typer.Option(None, "--port", help="Port to listen on (default: web.port)."),
) -> None:
    """Start the web app and API (uvicorn)."""
    from ..web.server import serve as serve_web

    serve_web(app_of(ctx), host=host, port=port)


@users.command("add")
def users_add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Login name."),
    role: str = typer.Option(..., "--role", help="member, facilitator, analyst or admin."),
    email: Optional[str] = typer.Option(None, "--email", help="E-mail address."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input instead of prompting."),
    token: bool = typer.Option(False, "--token", help="Also issue an API token and print it once."),
) -> None:
    """Create an account."""
    app = app_of(ctx)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with app.db.transaction() as session:
        try:
            user = create_user(session, name, role, password, email)
        except AccountError as exc:
            fail(str(exc))
        clear_token = issue_token(session, user, label="cli") if token else None
    typer.echo(f"User {name!r} created with role {role}.")
    if clear_token:
        typer.echo(f"API token (shown once): {clear_token}")


@users.command("list")
def users_list(ctx: typer.Context) -> None:
    """List accounts and roles."""
    from sqlalchemy import select

    from models import User

    with app_of(ctx).db.reader() as session:
        for user in session.scalars(select(User).order_by(User.name)):
            typer.echo(f"{user.name:<24} {user.role:<12} {'active' if user.active else 'disabled'}")
