"""Forms of the fact pages (person, household, members, DTSEN check). They render fields and
carry the CSRF token; the checks live in `intake.corrections`, which sees the whole input."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField, widgets

from slrt.core.nik import NIK_MISSING_LABELS
from slrt.intake import models as m

BIRTH_PRECISION_LABELS = {
    m.BirthPrecision.DAY: _l("Tanggal lengkap diketahui"),
    m.BirthPrecision.YEAR: _l("Hanya tahunnya yang diketahui"),
    m.BirthPrecision.ABOUT: _l("Kira-kira tahun itu"),
}
YES_NO_UNKNOWN = [("", _l("Belum diketahui")), ("yes", _l("Ya")), ("no", _l("Tidak"))]


def _choices(labels: dict, blank: Any = None) -> list[tuple[str, Any]]:
    items = [(k.value, v) for k, v in labels.items()]
    return [("", blank), *items] if blank is not None else items


def _select(label: Any, labels: dict, blank: Any = None) -> SelectField:
    return SelectField(label, choices=_choices(labels, blank), validate_choice=False)


def yes_no(value: bool | None) -> str:
    return "" if value is None else "yes" if value else "no"


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class PersonForm(FlaskForm):
    name = StringField(_l("Nama"), render_kw={"autocomplete": "off", "maxlength": 160})
    nik = StringField(_l("NIK"), render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 24})
    nik_missing_reason = _select(_l("Bila tanpa NIK, alasannya"), NIK_MISSING_LABELS, _l("— pilih —"))
    birth_precision = _select(_l("Tanggal lahir yang diketahui"), BIRTH_PRECISION_LABELS)
    birth_date = StringField(_l("Tanggal lahir"), render_kw={"type": "date"})
    birth_year = StringField(_l("Tahun lahir"), render_kw={"inputmode": "numeric", "maxlength": 4})
    sex = _select(_l("Jenis kelamin"), m.SEX_LABELS, _l("— pilih —"))
    pregnant = SelectField(_l("Sedang hamil"), choices=YES_NO_UNKNOWN, validate_choice=False)
    schooling = _select(_l("Sekolah"), m.SCHOOLING_LABELS, _l("Belum diketahui / bukan usia sekolah"))
    disability = _select(_l("Disabilitas"), m.DISABILITY_LABELS)
    relationship_to_head = _select(
        _l("Hubungan dengan kepala keluarga"), m.RELATIONSHIP_LABELS, _l("— pilih —")
    )

    def fill(self, person: m.Person) -> None:
        """The person's current values (never the NIK itself: it is not shown in clear)."""
        self.name.data = person.name
        self.nik_missing_reason.data = person.nik_missing_reason.value if person.nik_missing_reason else ""
        precision = person.birth_precision or m.BirthPrecision.DAY
        self.birth_precision.data = precision.value
        if person.birth_date is not None:
            if precision is m.BirthPrecision.DAY:
                self.birth_date.data = person.birth_date.isoformat()
            else:
                self.birth_year.data = str(person.birth_date.year)
        self.sex.data = person.sex.value if person.sex else ""
        self.pregnant.data = yes_no(person.pregnant)
        self.schooling.data = person.schooling.value if person.schooling else ""
        self.disability.data = person.disability.value if person.disability else "none"
        self.relationship_to_head.data = (
            person.relationship_to_head.value if person.relationship_to_head else ""
        )


class HouseholdForm(FlaskForm):
    kk_number = StringField(
        _l("No. KK"), render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 24}
    )
    rt = StringField(_l("RT"), render_kw={"inputmode": "numeric", "maxlength": 3})
    rw = StringField(_l("RW"), render_kw={"inputmode": "numeric", "maxlength": 3})
    street = StringField(_l("Jalan / dusun"), render_kw={"maxlength": 255})
    house_uninhabitable = SelectField(
        _l("Rumah tidak layak huni (hasil verifikasi)"), choices=YES_NO_UNKNOWN, validate_choice=False
    )

    def fill(self, household: m.Household) -> None:
        self.rt.data, self.rw.data, self.street.data = household.rt, household.rw, household.street
        self.house_uninhabitable.data = yes_no(household.house_uninhabitable)


class DtsenCheckForm(FlaskForm):
    in_dtsen = SelectField(
        _l("Terdaftar di DTSEN"),
        choices=[("", _l("— pilih —")), ("yes", _l("Ya, terdaftar")), ("no", _l("Tidak terdaftar"))],
        validate_choice=False,
    )
    desil = SelectField(
        _l("Desil"),
        choices=[("", _l("Tidak tertera"))] + [(str(d), str(d)) for d in range(1, 11)],
        validate_choice=False,
    )
    programmes = MultiCheckboxField(_l("Program yang diterima"), validate_choice=False)
    checked_on = StringField(_l("Tanggal pengecekan"), render_kw={"type": "date"})
    source = _select(_l("Sumber"), m.DTSEN_SOURCE_LABELS, _l("— pilih —"))


class MoveForm(FlaskForm):
    kk_number = StringField(
        _l("No. KK keluarga tujuan"),
        render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 24},
    )
    new_household = BooleanField(_l("Pindah ke keluarga baru (No. KK belum ada atau belum diketahui)"))
    relationship_to_head = _select(
        _l("Hubungan dengan kepala keluarga tujuan"), m.RELATIONSHIP_LABELS, _l("— pilih —")
    )


class HouseholdMoveForm(FlaskForm):
    """Asking to move a family to another village (slrt.intake.moves checks the values)."""

    village_code = StringField(_l("Kode desa/kelurahan tujuan"), render_kw={"autocomplete": "off"})
    rt = StringField(_l("RT"), render_kw={"inputmode": "numeric", "maxlength": 3})
    rw = StringField(_l("RW"), render_kw={"inputmode": "numeric", "maxlength": 3})
    street = StringField(_l("Jalan / dusun"), render_kw={"maxlength": 255})
    reason = TextAreaField(_l("Alasan pindah"), render_kw={"rows": 3, "maxlength": 2000})


class MoveRefusalForm(FlaskForm):
    refusal_reason = TextAreaField(_l("Alasan penolakan"), render_kw={"rows": 3, "maxlength": 2000})
