"""Shared infrastructure: database base classes, access rules, audit, codes, identity numbers."""


def init_app(app):
    from slrt.core import assets, web

    web.init_app(app)
    assets.init_app(app)
