"""Service directory: offices, agencies, services/programmes, need categories, routing table."""


def init_app(app):
    from slrt.directory import hsds, views
    from slrt.directory.cli import catalog_cli

    app.cli.add_command(catalog_cli)
    app.register_blueprint(views.bp)
    app.register_blueprint(hsds.bp)
