"""Desk intake: persons, households, cases (visits or reports) and their needs."""


def init_app(app):
    from slrt.intake.views import bp

    app.register_blueprint(bp)
