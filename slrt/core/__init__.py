"""Shared infrastructure: database base classes, access rules, audit, codes, identity numbers."""


def init_app(app):
    from slrt.core import assets, errors, transaction, web

    transaction.init_app(app)  # first: its after_request runs last
    web.init_app(app)
    errors.init_app(app)
    assets.init_app(app)
