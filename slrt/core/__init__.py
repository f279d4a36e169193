"""Shared infrastructure: database base classes, access rules, audit, codes, identity numbers."""


def init_app(app):
    from slrt.core import web

    web.init_app(app)
