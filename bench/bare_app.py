"""The yardstick: bare Flask endpoints, served with the same gunicorn settings as the app."""

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.route("/hello")
def hello():
    return "<!doctype html><title>Halo</title><p>Halo, dunia!</p>"


@app.route("/ping", methods=["GET", "POST"])
def ping():
    # Reads a posted body like the JSON APIs do, so POST benchmarks compare like with like.
    return jsonify({"ok": True, "received": request.get_json(silent=True) is not None})
