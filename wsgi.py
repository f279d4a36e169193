"""WSGI entry point: `gunicorn wsgi:app`."""

from slrt import create_app

app = create_app()
