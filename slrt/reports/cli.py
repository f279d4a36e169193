"""`flask reports refresh`: recompute the dashboard tallies (all villages, or some)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from slrt.extensions import db

reports_cli = AppGroup("reports", help="Dashboards and exports.")


@reports_cli.command("refresh")
@click.option("--village", "villages", multiple=True, help="Village code; repeat for several. Default: all.")
def refresh(villages: tuple[str, ...]) -> None:
    """Recompute the tallies. Writes through the app keep them current on their own; run this
    after loading records with plain SQL, or from cron as a safety net."""
    from slrt.reports.tally import rebuild, refresh_villages

    n = refresh_villages(villages) if villages else rebuild()
    db.session.commit()
    click.echo(f"{n} tally rows written")
