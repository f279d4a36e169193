"""JSON API (Bearer tokens) and its OpenAPI document. Features register their own API
blueprints under /api/v1 and describe them with `slrt.api.openapi.add_paths`."""


def init_app(app):
    from slrt.api.views import bp
    from slrt.extensions import csrf

    csrf.exempt(bp)
    app.register_blueprint(bp)
