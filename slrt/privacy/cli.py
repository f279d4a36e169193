"""`flask keys rotate` and `flask retention run`."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from slrt.extensions import db

keys_cli = AppGroup("keys", help="Encryption keys of NIK and No. KK.")
retention_cli = AppGroup("retention", help="Retention of personal data (UU 27/2022).")


@keys_cli.command("rotate")
@click.option("--batch", default=500, show_default=True, help="Rows re-encrypted per transaction.")
@click.option("--rehash", is_flag=True, help="Also recompute lookup digests (after changing SLRT_HASH_KEY).")
def rotate(batch: int, rehash: bool) -> None:
    """Re-encrypt every NIK and No. KK under the newest key of SLRT_ENCRYPTION_KEYS. Afterwards
    the older keys can be removed from the setting."""
    from slrt.privacy.key_rotation import rotate_keys

    report = rotate_keys(batch=batch, rehash=rehash)
    click.echo(
        f"Re-encrypted {report.persons} NIK(s) and {report.households} No. KK(s) under the newest key."
    )
    if rehash:
        click.echo("Lookup digests recomputed with the current SLRT_HASH_KEY.")


@retention_cli.command("run")
@click.option("--years", type=int, default=None, help="Override SLRT_RETENTION_YEARS.")
def run(years: int | None) -> None:
    """Anonymise closed cases past the retention period and persons with an approved erasure
    request. Idempotent; safe from cron."""
    from slrt.privacy.retention import run_retention

    report = run_retention(years=years)
    db.session.commit()
    click.echo(
        f"Anonymised {report.cases} case(s), {report.persons} person(s), {report.households} household(s); "
        f"removed {report.attachments} attachment(s); {report.requests_done} erasure request(s) done."
    )
    if report.kept_open:
        click.echo(
            f"Kept {len(report.kept_open)} person(s) still part of an open case: ids {report.kept_open}"
        )
