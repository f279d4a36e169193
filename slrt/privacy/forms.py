"""Forms of the privacy pages. Services do the checks; these only carry the input and CSRF."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField

from slrt.privacy.models import CONSENT_METHOD_LABELS


class RevealForm(FlaskForm):
    reason = StringField(
        _l("Alasan membuka nomor lengkap"),
        render_kw={"maxlength": 500, "placeholder": _l("mis. mencocokkan dengan KTP asli warga")},
    )


class WithdrawForm(FlaskForm):
    consent_id = HiddenField()
    method = SelectField(
        _l("Cara warga menarik persetujuan"),
        choices=[(k.value, v) for k, v in CONSENT_METHOD_LABELS.items()],
        validate_choice=False,
    )
    note = StringField(_l("Catatan (tidak wajib)"), render_kw={"maxlength": 500})


class ErasureRequestForm(FlaskForm):
    reason = TextAreaField(
        _l("Alasan warga meminta penghapusan data"), render_kw={"rows": 3, "maxlength": 2000}
    )


class ErasureDecisionForm(FlaskForm):
    decision = RadioField(
        _l("Keputusan"),
        choices=[("approve", _l("Setujui penghapusan")), ("reject", _l("Tolak"))],
        default="approve",
        validate_choice=False,
    )
    note = StringField(_l("Catatan keputusan (wajib bila ditolak)"), render_kw={"maxlength": 500})


class ExportForm(FlaskForm):
    format = HiddenField(default="json")
