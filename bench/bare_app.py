"""The yardstick: a bare Flask endpoint, served with the same gunicorn settings as the app."""

from flask import Flask, jsonify

app = Flask(__name__)


@app.route("/ping")
def ping():
    return jsonify({"ok": True})
