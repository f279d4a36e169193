"""DTSEN import: `flask dtsen import FILE.csv` brings the national register's households,
persons, desil and programmes to the desks."""


def init_app(app):
    from slrt.dtsen.cli import dtsen_cli
    from slrt.dtsen.views import bp

    app.cli.add_command(dtsen_cli)
    app.register_blueprint(bp)
