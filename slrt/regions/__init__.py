"""Kemendagri regions: provinces, regencies/cities, districts, villages."""


def init_app(app):
    from slrt.regions.cli import regions_cli
    from slrt.regions.views import bp

    app.register_blueprint(bp)
    app.cli.add_command(regions_cli)
