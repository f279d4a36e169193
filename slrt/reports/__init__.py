"""Dashboards that add up across village, district, regency and province; exports."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from flask_babel import format_decimal, format_number, format_percent

    from slrt.dtsen.cli import dtsen_cli
    from slrt.reports import cli, dtsen_proposals, tally, views

    app.register_blueprint(views.bp)
    app.register_blueprint(dtsen_proposals.bp)
    app.cli.add_command(cli.reports_cli)
    dtsen_cli.add_command(dtsen_proposals.proposals_command)  # `flask dtsen proposals`
    tally.track_changes()

    @app.template_filter("report_num")
    def report_num(value: int | None) -> str:
        return format_number(value or 0)

    @app.template_filter("report_pct")
    def report_pct(value: float | None) -> str:
        return "–" if value is None else format_percent(value, "#,##0.0%")

    @app.template_filter("report_dec")
    def report_dec(value: float | None) -> str:
        return "–" if value is None else format_decimal(value, "#,##0.#")
