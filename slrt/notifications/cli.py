import click
from flask.cli import AppGroup

from slrt.notifications.services import send_due

notifications_cli = AppGroup("notifications", help="The notification outbox.")


@notifications_cli.command("send")
@click.option("--limit", default=200, show_default=True, help="Messages per run.")
def send(limit: int) -> None:
    """Deliver pending notifications (retries with exponential backoff)."""
    report = send_due(limit=limit)
    click.echo(f"sent {report.sent}, retry later {report.retried}, failed {report.failed}")
