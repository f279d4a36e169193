from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from slrt.accounts.models import ROLE_LABELS


class LoginForm(FlaskForm):
    username = StringField(
        _l("Nama pengguna"),
        validators=[DataRequired(_l("Isi nama pengguna.")), Length(max=64)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "autofocus": True},
    )
    password = PasswordField(
        _l("Kata sandi"),
        validators=[DataRequired(_l("Isi kata sandi.")), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )


class UserForm(FlaskForm):
    username = StringField(_l("Nama pengguna"), validators=[DataRequired(_l("Wajib diisi.")), Length(max=64)])
    name = StringField(_l("Nama lengkap"), validators=[DataRequired(_l("Wajib diisi.")), Length(max=120)])
    email = EmailField(_l("Email"), validators=[Optional(), Length(max=254)])
    role = SelectField(_l("Peran"), choices=[(r.value, label) for r, label in ROLE_LABELS.items()])
    office_code = StringField(_l("Kode kantor (Puskesos/SLRT)"), validators=[Optional(), Length(max=32)])
    agency_code = StringField(_l("Kode lembaga penerima"), validators=[Optional(), Length(max=40)])
    region_code = StringField(_l("Kode wilayah cakupan"), validators=[Optional(), Length(max=13)])
    position = StringField(_l("Jabatan"), validators=[Optional(), Length(max=160)])
    nip = StringField(_l("NIP"), validators=[Optional(), Length(max=24)])
    password = PasswordField(
        _l("Kata sandi"), validators=[Optional(), Length(max=256)], render_kw={"autocomplete": "new-password"}
    )
    active = BooleanField(_l("Aktif"), default=True)


class PasswordChangeForm(FlaskForm):
    current = PasswordField(
        _l("Kata sandi sekarang"),
        validators=[DataRequired(_l("Wajib diisi.")), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )
    password = PasswordField(
        _l("Kata sandi baru"),
        validators=[DataRequired(_l("Wajib diisi.")), Length(max=256)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Ulangi kata sandi baru"),
        validators=[
            DataRequired(_l("Wajib diisi.")),
            EqualTo("password", _l("Kedua kata sandi baru tidak sama.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
