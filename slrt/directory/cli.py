import sys

import click
from flask.cli import AppGroup

from slrt.directory.catalog import DEFAULT_PATH, CatalogError, load_catalog
from slrt.extensions import db

catalog_cli = AppGroup("catalog", help="The need taxonomy and service catalogue.")


@catalog_cli.command("load")
@click.argument("path", required=False, type=click.Path(dir_okay=False))
def load(path: str | None) -> None:
    """Load the catalogue from PATH (default: the seed file); all or nothing."""
    try:
        created = load_catalog(path or DEFAULT_PATH)
    except CatalogError as exc:
        db.session.rollback()
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"catalogue loaded: {created['needs']} new needs, {created['services']} new services")
