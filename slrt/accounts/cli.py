from __future__ import annotations

import secrets
import sys

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from slrt.accounts import services
from slrt.accounts.models import API_SCOPES, Role, User
from slrt.extensions import db

users_cli = AppGroup("users", help="Manage user accounts.")
tokens_cli = AppGroup("tokens", help="Manage API tokens.")


def _read_password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@users_cli.command("create")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--region", "region_code", default=None, help="Scope region code, e.g. 32.04 or 32.04.05.2001")
@click.option("--agency", "agency_code", default=None, help="Agency code (role agency)")
@click.option("--office", "office_code", default=None, help="Office code (desk, coordinator)")
@click.option("--name", default=None, help="Full name (defaults to the username)")
@click.option("--email", default=None)
@click.option(
    "--service-account",
    is_flag=True,
    help="An integration: reaches the API with tokens only, never signs in (no password asked)",
)
def create_user(
    username: str,
    role: str,
    region_code: str | None,
    agency_code: str | None,
    office_code: str | None,
    name: str | None,
    email: str | None,
    service_account: bool,
) -> None:
    """Create a user; the password is prompted for, or read from standard input."""
    # A service account gets a random password nobody knows; login refuses it anyway.
    password = secrets.token_urlsafe(32) if service_account else _read_password()
    try:
        user = services.save_user(
            None,
            username=username,
            name=name or username,
            role=role,
            password=password,
            region_code=region_code,
            office_code=office_code,
            agency_code=agency_code,
            email=email,
            service_account=service_account,
        )
    except services.ValidationFailed as failed:
        _fail(failed)
    db.session.commit()
    click.echo(
        f"created user {user.username} ({user.role.value}, scope {user.scope_region_code or 'national'})"
    )


def _fail(failed: services.ValidationFailed) -> None:
    """Nothing is written: every message on stderr, then exit status 1."""
    db.session.rollback()
    for field, messages in failed.errors.items():
        for message in messages:
            click.echo(f"error: {field or 'input'}: {message}", err=True)
    sys.exit(1)


@tokens_cli.command("create")
@click.option("--username", required=True)
@click.option("--days", default=90, show_default=True, type=click.IntRange(1, 3650))
@click.option("--name", default="cli")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(list(API_SCOPES)),
    help="What the token may do; repeat for several (default: every scope)",
)
def create_token(username: str, days: int, name: str, scopes: tuple[str, ...]) -> None:
    """Create an API token for a user and print it once (only its hash is kept)."""
    user = db.session.scalar(sa.select(User).where(User.username == username.lower()))
    if user is None:
        click.echo(f"error: no user {username}", err=True)
        sys.exit(1)
    try:
        _token, clear = services.issue_token(user, name=name, days=days, scopes=list(scopes) or None)
    except services.ValidationFailed as failed:
        _fail(failed)
    db.session.commit()
    click.echo(clear)
