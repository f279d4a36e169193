import click
from flask.cli import AppGroup

from slrt.core import tracking
from slrt.demo import run_steps
from slrt.demo.foundation import DEMO_PASSWORD
from slrt.extensions import db

demo_cli = AppGroup("demo", help="Demo data.")


@demo_cli.command("seed")
def seed() -> None:
    """Create the demo regency, its desks, agencies, users and cases (idempotent)."""
    ctx = run_steps()
    db.session.commit()
    # Escalate the demo's overdue referrals as cron would, so the supervisor page shows them.
    from slrt.referrals.breaches import sweep

    report = sweep()
    db.session.commit()
    if report.breaches:
        click.echo(f"Escalated {report.breaches} missed deadlines ({report.notifications} notifications).")
    if report.reminders:
        click.echo(f"Reminded agencies of {report.reminders} referrals at risk.")
    click.echo(f"Demo data ready. Logins (password for all: {DEMO_PASSWORD}):")
    for username, role, where in ctx.get("logins", []):
        click.echo(f"  {username:<12} {role:<12} {where}")
    if ctx.get("queue_display"):
        click.echo(f"Queue display of the Cileunyi Kulon desk (no login): {ctx['queue_display']}")
    if ctx.get("letters"):
        click.echo("Referral letters (issue 17), verified at /verifikasi/<code>:")
        for number, code in ctx["letters"]:
            click.echo(f"  {number:<24} {tracking.display(code)}")
    if ctx.get("hard_cases"):
        click.echo("Hard cases (issue 16), by tracking code:")
        for code, name in ctx["hard_cases"]:
            click.echo(f"  {tracking.display(code)}  {name}")
