"""Service directory: offices, agencies, services/programmes, need categories, routing table."""


def init_app(app):
    from slrt.directory.cli import catalog_cli

    app.cli.add_command(catalog_cli)
