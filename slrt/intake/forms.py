"""Desk intake forms. They render fields and carry the CSRF token; the checks themselves live in
`intake.registration.create_case`, which sees the whole visit at once (consent, scope, duplicates)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    MultipleFileField,
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)

from slrt.core.nik import NIK_MISSING_LABELS
from slrt.intake import models as m
from slrt.intake.visit_form import MAX_MEMBERS, MAX_NEEDS, PROGRAMMES

NEED_ROWS = 3
MEMBER_ROWS = 3
# Rows parsed from a post: twice the limits, so one row too many gets a message from the service
# (slrt.intake.registration) instead of being dropped without a word.
PARSED_NEEDS = 2 * MAX_NEEDS
PARSED_MEMBERS = 2 * MAX_MEMBERS

BIRTH_PRECISION_LABELS = {
    m.BirthPrecision.DAY: _l("Tanggal lengkap diketahui"),
    m.BirthPrecision.YEAR: _l("Hanya tahunnya"),
    m.BirthPrecision.ABOUT: _l("Kira-kira tahunnya"),
}


def _choices(labels: dict, blank: str | None = None) -> list[tuple[str, str]]:
    items = [(k.value, v) for k, v in labels.items()]
    return [("", blank), *items] if blank is not None else items


def select(label, labels: dict, blank: str | None = None, **kw) -> SelectField:
    return SelectField(label, choices=_choices(labels, blank), validate_choice=False, **kw)


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class FindForm(FlaskForm):
    """Step 1: find the visitor first, by NIK or by name and birth date (a GET form)."""

    class Meta:
        csrf = False  # a search changes nothing

    nik = StringField(_l("NIK"), render_kw={"inputmode": "numeric", "autocomplete": "off", "autofocus": True})
    name = StringField(_l("Nama"), render_kw={"autocomplete": "off"})
    birth_date = StringField(_l("Tanggal lahir"), render_kw={"type": "date"})


class SearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = SearchField(
        _l("Cari kode pelacakan, NIK, No. KK, nama atau telepon"),
        render_kw={"autocomplete": "off", "placeholder": _l("mis. 7K4Q-X9MZ-P3CA, 3204..., Siti, 0812...")},
    )


def birth_precision_field() -> SelectField:
    return select(_l("Tanggal lahir"), BIRTH_PRECISION_LABELS, default="day")


def birth_year_field() -> StringField:
    return StringField(
        _l("Tahun lahir"),
        render_kw={
            "inputmode": "numeric",
            "maxlength": 4,
            "autocomplete": "off",
            "placeholder": _l("mis. 1952"),
        },
    )


class MemberForm(Form):
    name = StringField(_l("Nama"))
    birth_precision = birth_precision_field()
    birth_date = StringField(_l("Tanggal lahir lengkap"), render_kw={"type": "date"})
    birth_year = birth_year_field()
    sex = select(_l("Jenis kelamin"), m.SEX_LABELS, _l("– pilih –"))
    relationship = select(_l("Hubungan dengan kepala keluarga"), m.RELATIONSHIP_LABELS, _l("– pilih –"))
    disability = select(_l("Disabilitas"), m.DISABILITY_LABELS)
    pregnant = BooleanField(_l("Sedang hamil"))
    schooling = select(_l("Sekolah"), m.SCHOOLING_LABELS, _l("Tidak berlaku"))


class NeedForm(Form):
    category = SelectField(_l("Jenis kebutuhan"), choices=[], validate_choice=False)
    description = TextAreaField(_l("Keterangan"), render_kw={"rows": 2})
    person = SelectField(_l("Untuk siapa"), choices=[], validate_choice=False)


URGENCY = {
    "auto": _l("Sesuai aturan jalur cepat"),
    "yes": _l("Prioritas (jalur cepat)"),
    "no": _l("Antrean biasa"),
}
DTSEN = {"": _l("Belum dicek / tidak tahu"), "yes": _l("Ya, terdaftar"), "no": _l("Tidak terdaftar")}


class IntakeForm(FlaskForm):
    """Step 2: the visitor, the household and the visit, on one page."""

    idempotency_key = HiddenField()
    person_id = HiddenField()

    consent = BooleanField(
        _l("Tujuan, penggunaan dan lama penyimpanan data sudah dijelaskan, dan warga menyetujui.")
    )
    consent_by = select(
        _l("Persetujuan diberikan oleh"),
        {
            m.ConsentBy.SELF: _l("Warga sendiri"),
            m.ConsentBy.GUARDIAN: _l("Orang tua/wali (warga di bawah 18 tahun)"),
        },
    )
    guardian_name = StringField(_l("Nama orang tua/wali"), render_kw={"maxlength": 160})
    guardian_relationship = StringField(
        _l("Hubungan wali dengan warga"), render_kw={"maxlength": 60, "placeholder": _l("mis. ibu kandung")}
    )

    nik = StringField(_l("NIK"), render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 24})
    nik_missing_reason = SelectField(
        _l("Alasan tanpa NIK"),
        choices=[("", _l("– ada NIK –"))] + [(k.value, v) for k, v in NIK_MISSING_LABELS.items()],
        validate_choice=False,
    )
    kk_number = StringField(
        _l("No. KK"), render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 24}
    )
    name = StringField(_l("Nama lengkap"), render_kw={"autocomplete": "off"})
    birth_precision = birth_precision_field()
    birth_date = StringField(_l("Tanggal lahir lengkap"), render_kw={"type": "date"})
    birth_year = birth_year_field()
    sex = select(_l("Jenis kelamin"), m.SEX_LABELS, _l("– pilih –"))
    phone = StringField(
        _l("Telepon/WA"), render_kw={"type": "tel", "inputmode": "tel", "autocomplete": "off"}
    )
    relationship = select(_l("Hubungan dengan kepala keluarga"), m.RELATIONSHIP_LABELS, _l("– pilih –"))
    disability = select(_l("Disabilitas"), m.DISABILITY_LABELS)
    pregnant = BooleanField(_l("Sedang hamil"))
    schooling = select(_l("Sekolah"), m.SCHOOLING_LABELS, _l("Tidak berlaku"))

    village_code = StringField(_l("Kode desa/kelurahan"), render_kw={"autocomplete": "off"})
    rt = StringField(_l("RT"), render_kw={"inputmode": "numeric", "maxlength": 3})
    rw = StringField(_l("RW"), render_kw={"inputmode": "numeric", "maxlength": 3})
    street = StringField(_l("Jalan, gang, kampung, nomor rumah"))
    in_dtsen = SelectField(_l("Terdaftar di DTSEN"), choices=list(DTSEN.items()), validate_choice=False)
    desil = SelectField(
        _l("Desil"),
        choices=[("", _l("Belum diketahui"))] + [(str(i), str(i)) for i in range(1, 11)],
        validate_choice=False,
    )
    programmes = MultiCheckboxField(
        _l("Program yang sudah diterima"), choices=[(p, p) for p in PROGRAMMES], validate_choice=False
    )
    programmes_other = StringField(_l("Program lain (pisahkan dengan koma)"))

    members = FieldList(FormField(MemberForm), min_entries=MEMBER_ROWS, max_entries=PARSED_MEMBERS)

    channel = select(_l("Cara datang"), m.CHANNEL_LABELS)
    case_type = select(_l("Jenis kunjungan"), m.CASE_TYPE_LABELS, default=m.CaseType.NEED.value)
    needs = FieldList(FormField(NeedForm), min_entries=NEED_ROWS, max_entries=PARSED_NEEDS)
    answer = TextAreaField(_l("Jawaban yang sudah diberikan di desk"), render_kw={"rows": 3})
    urgency = SelectField(_l("Prioritas"), choices=list(URGENCY.items()), validate_choice=False)
    urgency_reason = StringField(_l("Alasan prioritas diubah"))
    duplicate_reason = StringField(_l("Alasan tetap membuat kasus baru"))
    # Ticked after the duplicate warning: the visitor is none of the registered persons shown.
    not_duplicate = BooleanField(
        _l("Sudah saya periksa: warga ini bukan salah satu di atas, daftarkan sebagai warga baru")
    )

    file_ktp = MultipleFileField(
        _l("Foto/pindaian KTP"), render_kw={"accept": "image/jpeg,image/png,application/pdf"}
    )
    file_kk = MultipleFileField(
        _l("Foto/pindaian KK"), render_kw={"accept": "image/jpeg,image/png,application/pdf"}
    )
    file_house = MultipleFileField(
        _l("Foto rumah"), render_kw={"accept": "image/jpeg,image/png,application/pdf"}
    )
