"""Desk intake: persons, households, cases (visits or reports) and their needs."""


def init_app(app):
    from slrt.core.web import add_labels
    from slrt.intake import models as m
    from slrt.intake import moves, provenance
    from slrt.intake.cli import dedup_cli, quality_cli
    from slrt.intake.dedup_views import bp as dedup_bp
    from slrt.intake.fact_views import bp as facts_bp
    from slrt.intake.move_views import bp as moves_bp
    from slrt.intake.records import birth_text
    from slrt.intake.views import bp

    app.register_blueprint(bp)
    app.cli.add_command(dedup_cli)
    app.cli.add_command(quality_cli)
    app.register_blueprint(facts_bp)
    app.register_blueprint(dedup_bp)
    app.register_blueprint(moves_bp)
    app.add_template_global(moves.can_request_move)
    app.add_template_global(moves.case_moves)
    app.add_template_global(moves.household_moves)
    app.add_template_filter(birth_text, "birth")
    app.add_template_global(provenance.dtsen, "dtsen_provenance")
    add_labels(
        app,
        sex=m.SEX_LABELS,
        disability=m.DISABILITY_LABELS,
        schooling=m.SCHOOLING_LABELS,
        relationship=m.RELATIONSHIP_LABELS,
        channel=m.CHANNEL_LABELS,
        case_type=m.CASE_TYPE_LABELS,
        case_status=m.CASE_STATUS_LABELS,
        dtsen_source=m.DTSEN_SOURCE_LABELS,
        move_status=m.MOVE_STATUS_LABELS,
    )
