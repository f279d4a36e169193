"""JSON API (Bearer tokens) and its OpenAPI document."""


def init_app(app):
    """Nothing registered yet: the feature lands with its issue."""
