"""Open311 GeoReport v2."""

def init_app(app):
    pass
