import time

import click
from flask.cli import AppGroup

from slrt.regions.services import load_regions

regions_cli = AppGroup("regions", help="Kemendagri region data.")


@regions_cli.command("load")
def load() -> None:
    """Load or refresh every province, regency, district and village (idempotent)."""
    started = time.perf_counter()
    counts = load_regions()
    click.echo(
        ", ".join(f"{v} {k}" for k, v in counts.items()) + f" in {time.perf_counter() - started:.1f} s"
    )
