"""Queue forms. They carry the fields and the CSRF token; `queue.services` checks the values."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField

from slrt.queue.models import FAST_TRACK_REASON_LABELS, TicketStatus
from slrt.queue.services import COUNTER_MAX, NAME_MAX


class IssueForm(FlaskForm):
    fast_track = BooleanField(_l("Jalur cepat (prioritas)"))
    reason = SelectField(
        _l("Alasan jalur cepat"),
        choices=[("", _l("— pilih bila jalur cepat —"))]
        + [(k.value, v) for k, v in FAST_TRACK_REASON_LABELS.items()],
        validate_choice=False,  # an unknown code gets the service's own message
    )
    visitor_name = StringField(
        _l("Nama pengunjung (tidak wajib, hanya terlihat oleh petugas)"),
        render_kw={"maxlength": NAME_MAX, "autocomplete": "off"},
    )


class CallForm(FlaskForm):
    counter = StringField(_l("Loket"), render_kw={"maxlength": COUNTER_MAX, "autocomplete": "off"})


class FinishForm(FlaskForm):
    outcome = HiddenField(default=TicketStatus.SERVED.value)  # served or left, one button each
