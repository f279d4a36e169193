"""Notifications: an outbox of email, SMS and WhatsApp messages, delivered by `flask notifications send`."""


def init_app(app):
    from slrt.notifications.cli import notifications_cli

    app.cli.add_command(notifications_cli)
