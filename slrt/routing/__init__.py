"""Routing: facts, the engine, suggestions on the case page, the JSON API."""


def init_app(app):
    from slrt.api.openapi import add_paths
    from slrt.extensions import csrf
    from slrt.routing import api, views

    app.register_blueprint(views.bp)
    csrf.exempt(api.bp)
    app.register_blueprint(api.bp)
    add_paths(api.OPENAPI_PATHS, api.OPENAPI_SCHEMAS)
