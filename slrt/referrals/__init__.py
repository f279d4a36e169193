"""Referral lifecycle: approval, sending, agency handling, feedback, deadlines."""


def init_app(app):
    """Nothing registered yet: the feature lands with its issue."""
