"""The public root: what a citizen can do without an account, with staff sign-in beside it.

`/` is the staff home (intake.home, which stays signed-in only). A visitor who is not signed in
gets this page at that address instead of the login page: `/` is what posters, receipts and
word of mouth give out. Signed-in staff reach their own home there as before."""

from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa
from flask import Flask, render_template
from flask_login import current_user

from slrt.accounts.forms import LoginForm
from slrt.directory.models import Office, OfficeKind
from slrt.extensions import db

STAFF_HOME = "intake.home"
# The Puskesos desks listed by name; a province or the whole country has too many for one page,
# and then the page says where to find them instead.
MAX_DESKS_LISTED = 40


def offices_to_visit() -> tuple[list[Office], list[Office]]:
    """The SLRT secretariats, and the Puskesos desks when there are few enough to list."""
    secretariats = db.session.scalars(
        sa.select(Office).where(Office.kind == OfficeKind.SLRT).order_by(Office.name)
    ).all()
    desks = db.session.scalars(
        sa.select(Office)
        .where(Office.kind == OfficeKind.PUSKESOS)
        .order_by(Office.name)
        .limit(MAX_DESKS_LISTED + 1)
    ).all()
    return list(secretariats), list(desks) if len(desks) <= MAX_DESKS_LISTED else []


def public_home() -> str:
    """The page itself: check a status, report a need, where to go, staff sign-in."""
    secretariats, desks = offices_to_visit()
    return render_template(
        "public/home.html", secretariats=secretariats, desks=desks, form=LoginForm(formdata=None)
    )


def serve_guests_at_the_staff_home(app: Flask) -> None:
    """Wraps the staff home's view: a visitor who is not signed in gets public_home() instead of
    the login redirect. A wrapper rather than a before_request hook, so the page is rendered
    after every hook has run (the `?lang=` choice among them)."""
    staff_home = app.view_functions[STAFF_HOME]

    @functools.wraps(staff_home)
    def home(**kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return public_home()
        return staff_home(**kwargs)

    app.view_functions[STAFF_HOME] = home
