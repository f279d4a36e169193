import click
from flask.cli import AppGroup

from slrt.referrals.breaches import sweep

sla_cli = AppGroup("sla", help="Deadlines of referrals.")


@sla_cli.command("sweep")
@click.option("--batch", default=1000, show_default=True, help="Referrals per transaction.")
def sweep_command(batch: int) -> None:
    """Record newly missed deadlines once and notify agencies and SLRT supervisors (idempotent)."""
    report = sweep(batch=batch)
    click.echo(f"{report.breaches} new breaches, {report.notifications} notifications queued")
