"""The public side: status by tracking code, online reports, satisfaction survey."""


def init_app(app):
    """Nothing registered yet: the feature lands with its issue."""
