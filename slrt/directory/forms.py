from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from slrt.directory.models import AGENCY_CONTACT_LABELS, COMBINE_LABELS


class AgencyForm(FlaskForm):
    code = StringField(_l("Kode lembaga"), validators=[DataRequired(_l("Wajib diisi.")), Length(max=40)])
    name = StringField(_l("Nama lembaga"), validators=[DataRequired(_l("Wajib diisi.")), Length(max=160)])
    address = StringField(_l("Alamat"), validators=[Optional(), Length(max=255)])
    phone = StringField(_l("Telepon"), validators=[Optional(), Length(max=32)])
    email = EmailField(_l("Email"), validators=[Optional(), Length(max=254)])
    hours = StringField(_l("Jam layanan"), validators=[Optional(), Length(max=120)])
    service_area = StringField(
        _l("Wilayah layanan"), validators=[DataRequired(_l("Wajib diisi.")), Length(max=500)]
    )
    active = BooleanField(_l("Aktif"), default=True)


class OfficeForm(FlaskForm):
    """The letterhead of an office: what its referral letters print at the top and the foot."""

    name = StringField(_l("Nama kantor"), validators=[DataRequired(_l("Wajib diisi.")), Length(max=160)])
    address = StringField(_l("Alamat"), validators=[Optional(), Length(max=255)])
    phone = StringField(_l("Telepon"), validators=[Optional(), Length(max=32)])
    email = EmailField(_l("Email"), validators=[Optional(), Length(max=254)])
    hours = StringField(_l("Jam layanan"), validators=[Optional(), Length(max=120)])
    head_title = StringField(_l("Jabatan pimpinan"), validators=[Optional(), Length(max=160)])
    tembusan = TextAreaField(_l("Tembusan"), validators=[Optional(), Length(max=1000)], render_kw={"rows": 3})
    logo = FileField(_l("Logo daerah (PNG atau JPEG)"))
    remove_logo = BooleanField(_l("Hapus logo"))


class CriterionForm(Form):
    """One row of the criteria editor (inside ServiceForm, which carries the CSRF token)."""

    name = StringField(_l("Nama kriteria"), validators=[Optional(), Length(max=160)])
    # The builder (slrt/directory/criteria_builder.py): fact, comparison, value; choices set per page.
    fact = SelectField(_l("Fakta"), validate_choice=False, default="")
    op = SelectField(_l("Perbandingan"), validate_choice=False, default="")
    value = StringField(_l("Nilai"), validators=[Optional(), Length(max=40)])
    # The expression the builder showed when the page was drawn: an expert who then edits the
    # expression itself (and leaves the builder as it was) is followed, not overwritten.
    built = HiddenField()
    expression = TextAreaField(
        _l("Ekspresi"), validators=[Optional(), Length(max=1000)], render_kw={"rows": 2}
    )
    remove = BooleanField(_l("Hapus kriteria ini"))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ServiceForm(FlaskForm):
    code = StringField(_l("Kode layanan"), validators=[Optional(), Length(max=40)])
    name = StringField(_l("Nama layanan"), validators=[DataRequired(_l("Wajib diisi.")), Length(max=200)])
    description = TextAreaField(
        _l("Uraian"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 3}
    )
    required_documents = TextAreaField(
        _l("Dokumen yang diperlukan"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 3}
    )
    needs = MultiCheckboxField(_l("Kebutuhan yang dilayani"), validate_choice=False)
    sla_respond_days = IntegerField(
        _l("Batas tanggapan (hari kerja)"),
        validators=[InputRequired(_l("Wajib diisi.")), NumberRange(0, 365)],
    )
    sla_resolve_days = IntegerField(
        _l("Batas penyelesaian (hari kerja)"),
        validators=[InputRequired(_l("Wajib diisi.")), NumberRange(1, 365)],
    )
    needs_nik = BooleanField(_l("Memerlukan NIK"))
    agency_contact = SelectField(
        _l("Yang dilihat lembaga penerima dari kontak warga"),
        choices=list(AGENCY_CONTACT_LABELS.items()),
        default="full",
    )
    urgent = BooleanField(_l("Selalu mendesak"))
    active = BooleanField(_l("Aktif"), default=True)
    default_agency_code = StringField(_l("Kode lembaga bawaan"), validators=[Optional(), Length(max=40)])
    combine = SelectField(_l("Cara menggabungkan kriteria"), choices=list(COMBINE_LABELS.items()))
    criteria = FieldList(FormField(CriterionForm), min_entries=0)
    example = SelectField(_l("Keluarga contoh"), validate_choice=False)


class RuleForm(FlaskForm):
    service_code = SelectField(_l("Layanan"), validate_choice=False)
    region_code = StringField(
        _l("Kode wilayah"), validators=[DataRequired(_l("Wajib diisi.")), Length(max=13)]
    )
    agency_code = SelectField(_l("Lembaga penerima"), validate_choice=False)
