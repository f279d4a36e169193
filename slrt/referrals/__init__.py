"""Referral lifecycle: approval, sending, agency handling, feedback, deadlines."""

from __future__ import annotations

from typing import Any


def init_app(app):
    # Long on purpose: one list of what the package registers (blueprints, template labels, scope rules,
    # CLI).
    from slrt import notifications
    from slrt.api.openapi import add_paths
    from slrt.core.web import add_labels
    from slrt.extensions import csrf
    from slrt.referrals import access, api, cli, followup, home, moves, queries, views  # noqa: F401 - access registers scope rules, moves a follower
    from slrt.referrals.deadlines import deadline_of, deadline_status, deadline_words
    from slrt.referrals.models import (
        BREACH_KIND_LABELS,
        DEADLINE_LABELS,
        NOT_GRANTED_REASON_LABELS,
        OUTCOME_LABELS,
        REFERRAL_STATUS_LABELS,
        REJECT_REASON_LABELS,
        Referral,
    )

    app.register_blueprint(views.bp)
    add_labels(
        app,
        referral_status=REFERRAL_STATUS_LABELS,
        referral_outcome=OUTCOME_LABELS,
        reject_reason=REJECT_REASON_LABELS,
    )
    csrf.exempt(api.bp)
    app.register_blueprint(api.bp)
    add_paths(api.OPENAPI_PATHS, api.OPENAPI_SCHEMAS)
    app.cli.add_command(cli.sla_cli)
    notifications.init_app(app)

    def referral_deadline(referral: Referral) -> dict[str, Any] | None:
        status = deadline_status(referral)
        if status is None:
            return None
        due, _risk = deadline_of(referral)
        return {
            "status": status.value,
            "label": str(DEADLINE_LABELS[status]),
            "due": due,
            "words": deadline_words(referral),
        }

    def referral_actions(referral: Referral) -> list:
        from flask_login import current_user

        return views.available_actions(referral, current_user)

    app.add_template_global(home.referral_home_data)
    from slrt.referrals.models import needs_more_data
    from slrt.referrals.retry import retry_for

    app.add_template_global(retry_for)
    app.add_template_global(needs_more_data)
    app.add_template_global(followup.case_follow_up)
    app.add_template_global(referral_actions)
    app.add_template_global(queries.count_label)
    app.add_template_global(views.agency_choices, "referral_agency_choices")
    app.add_template_global(referral_deadline)

    def shows_people() -> bool:
        from flask_login import current_user

        from slrt.referrals.access import sees_people

        return sees_people(current_user)

    app.add_template_global(shows_people)

    @app.context_processor
    def referral_labels() -> dict[str, Any]:
        return {
            "referral_labels": {
                "reason": REJECT_REASON_LABELS,
                "outcome": OUTCOME_LABELS,
                "breach": BREACH_KIND_LABELS,
                "not_granted": NOT_GRANTED_REASON_LABELS,
            }
        }
