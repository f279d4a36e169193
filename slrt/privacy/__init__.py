"""Privacy (UU 27/2022): revealing protected numbers, data-subject exports, consent, erasure and
retention, key rotation."""

from flask import Flask


def init_app(app: Flask) -> None:
    from slrt.core.crypto import mask
    from slrt.privacy.cli import keys_cli, retention_cli
    from slrt.privacy.views import bp, shown_number
    from slrt.referrals.access import can_reveal_identity

    app.register_blueprint(bp)
    app.cli.add_command(keys_cli)
    app.cli.add_command(retention_cli)
    # One masking helper for every template showing a NIK or No. KK.
    app.add_template_filter(mask, "mask_id")
    app.add_template_global(shown_number)
    app.add_template_global(can_reveal_identity)
