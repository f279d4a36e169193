"""`flask dedup scan --region CODE`: the suspected duplicates of a region, for review; `flask
quality refresh`: the data-quality counts the dashboards show."""

from __future__ import annotations

import csv
import sys

import click
from flask.cli import AppGroup

from slrt.intake import dedup

dedup_cli = AppGroup("dedup", help="Suspected duplicate persons.")


@dedup_cli.command("scan")
@click.option("--region", "region_code", required=True, help="Region code, e.g. 32.04 or 32.04.05.2001.")
@click.option("--format", "fmt", type=click.Choice(["text", "csv"]), default="text", show_default=True)
@click.option(
    "--threshold",
    type=click.FloatRange(0, 1),
    default=dedup.REVIEW_THRESHOLD,
    show_default=True,
    help="Lowest score printed.",
)
def scan(region_code: str, fmt: str, threshold: float) -> None:
    """Print every pair of persons in the region at or above the review threshold, best first."""
    found = dedup.scan(region_code.strip(), threshold)
    if fmt == "csv":
        # Ids and scores only: no personal data leaves through this list.
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["person_a", "person_b", "score"])
        for c in found:
            writer.writerow([c.person_a, c.person_b, f"{c.score:.3f}"])
        return
    for c in found:
        evidence = ", ".join(f"{k}={v:.2f}" for k, v in c.evidence.items())
        click.echo(f"{c.person_a} {c.person_b} {c.score:.3f}  {evidence}")
    click.echo(f"{len(found)} pair(s)")


quality_cli = AppGroup("quality", help="Data quality per village.")


@quality_cli.command("refresh")
@click.option("--region", "region_code", default="", help="Region code; the whole country when left out.")
def refresh(region_code: str) -> None:
    """Recount each village's data quality for the dashboards (run it nightly, e.g. from cron)."""
    from slrt.core.workdays import local_today
    from slrt.extensions import db
    from slrt.intake import quality

    villages = quality.refresh(region_code.strip() or None, local_today(region_code.strip() or None))
    db.session.commit()
    click.echo(f"{villages} village(s) with something to fix")
