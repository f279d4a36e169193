from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from slrt.referrals.models import OUTCOME_LABELS, REJECT_REASON_LABELS


class TransitionForm(FlaskForm):
    """One form for every action; the service decides which fields the move needs."""

    to = HiddenField(validators=[DataRequired()])
    version = IntegerField(validators=[Optional()], widget=HiddenField.widget)
    next = HiddenField()
    reason = SelectField(
        _l("Alasan penolakan"),
        choices=[("", _l("— pilih alasan —"))]
        + [(r.value, label) for r, label in REJECT_REASON_LABELS.items()],
        validate_choice=False,
    )
    outcome = SelectField(
        _l("Hasil penanganan"),
        choices=[("", _l("— pilih hasil —"))] + [(o.value, label) for o, label in OUTCOME_LABELS.items()],
        validate_choice=False,
    )
    agency_id = SelectField(_l("Lembaga penerima baru"), choices=[], validate_choice=False)
    note = TextAreaField(_l("Catatan untuk petugas"), validators=[Optional(), Length(max=4000)])
    message = TextAreaField(
        _l("Pesan untuk warga (tampil di halaman status)"), validators=[Optional(), Length(max=1000)]
    )


class NoteForm(FlaskForm):
    version = IntegerField(validators=[Optional()], widget=HiddenField.widget)
    note = TextAreaField(_l("Catatan perkembangan"), validators=[Optional(), Length(max=4000)])
    message = TextAreaField(
        _l("Pesan untuk warga (tampil di halaman status)"), validators=[Optional(), Length(max=1000)]
    )


class VersionForm(FlaskForm):
    version = IntegerField(validators=[Optional()], widget=HiddenField.widget)
    next = HiddenField()


class HolidayForm(FlaskForm):
    day = DateField(_l("Tanggal"), validators=[DataRequired(_l("Isi tanggal."))])
    name = StringField(
        _l("Nama hari libur"), validators=[DataRequired(_l("Isi nama hari libur.")), Length(max=160)]
    )
    region_code = StringField(
        _l("Kode wilayah (kosongkan untuk semua wilayah)"), validators=[Optional(), Length(max=13)]
    )


class DeleteHolidayForm(FlaskForm):
    holiday = IntegerField(validators=[DataRequired()], widget=HiddenField.widget)


class CloseForm(FlaskForm):
    """Closing a need or a whole case on purpose; the service asks for the reason (so an empty
    one gets the same message from the page and from any other caller)."""

    reason = TextAreaField(_l("Alasan penutupan"), validators=[Optional(), Length(max=1000)])
