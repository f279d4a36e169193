"""Demo step: the dashboard tallies of every village with records (the earlier steps' writes
already refresh them; this also covers a demo database loaded before the reports existed)."""

from __future__ import annotations

from slrt.extensions import db


def seed(ctx: dict) -> None:
    from slrt.reports.tally import rebuild

    rebuild()
    db.session.commit()
