"""Forms of the public pages. The status lookup is a plain GET form (works without JavaScript,
no session needed), so only the report and the survey are WTForms with CSRF."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from slrt.intake.models import CaseType

CASE_TYPE_CHOICES = [
    (CaseType.NEED.value, _l("Kebutuhan: saya/keluarga saya butuh bantuan")),
    (CaseType.COMPLAINT.value, _l("Pengaduan: bantuan tidak sampai, salah sasaran, atau layanan buruk")),
    (CaseType.QUESTION.value, _l("Pertanyaan: saya ingin tahu syarat atau caranya")),
]
RATING_CHOICES = [
    (1, _l("1 – Sangat tidak puas")),
    (2, _l("2 – Tidak puas")),
    (3, _l("3 – Cukup")),
    (4, _l("4 – Puas")),
    (5, _l("5 – Sangat puas")),
]


class ReportForm(FlaskForm):
    case_type = RadioField(
        _l("Jenis laporan"),
        choices=CASE_TYPE_CHOICES,
        default=CaseType.NEED.value,
        validators=[InputRequired(_l("Pilih jenis laporan."))],
    )
    category = SelectField(
        _l("Kebutuhan atau masalahnya tentang"), validators=[DataRequired(_l("Pilih salah satu."))]
    )
    description = TextAreaField(
        _l("Ceritakan singkat"),
        validators=[DataRequired(_l("Ceritakan kebutuhan atau keluhan Anda.")), Length(max=2000)],
        render_kw={"rows": 5, "maxlength": 2000},
    )
    village_code = StringField(
        _l("Kode desa/kelurahan"),
        validators=[Optional(), Length(max=13)],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "placeholder": "32.04.05.2001"},
    )
    village_search = StringField(
        _l("Atau cari nama desa/kelurahan"),
        validators=[Optional(), Length(max=60)],
        render_kw={"autocomplete": "off"},
    )
    name = StringField(
        _l("Nama (boleh dikosongkan)"),
        validators=[Optional(), Length(max=160)],
        render_kw={"autocomplete": "name"},
    )
    contact = StringField(
        _l("Nomor HP atau email (boleh dikosongkan)"),
        validators=[Optional(), Length(max=254)],
        render_kw={"autocomplete": "tel"},
    )
    anonymous = BooleanField(_l("Anonim: sembunyikan identitas saya dari lembaga penerima rujukan"))
    confidential = BooleanField(_l("Rahasia: laporan tidak ditampilkan di halaman status publik"))
    consent = BooleanField(_l("Saya setuju data saya diproses sesuai keterangan di atas"))
    # Spam guards: a field people never see, and a signed time stamp of when the form was shown.
    website = StringField(
        _l("Jangan diisi"), validators=[Optional()], render_kw={"autocomplete": "off", "tabindex": "-1"}
    )
    form_token = HiddenField()


class SurveyForm(FlaskForm):
    code = HiddenField()
    rating = RadioField(
        _l("Seberapa puas Anda dengan layanan ini?"),
        choices=RATING_CHOICES,
        coerce=int,
        validators=[InputRequired(_l("Pilih nilai 1 sampai 5."))],
    )
    comment = TextAreaField(
        _l("Saran atau komentar (boleh dikosongkan)"),
        validators=[Optional(), Length(max=1000)],
        render_kw={"rows": 3, "maxlength": 1000},
    )
