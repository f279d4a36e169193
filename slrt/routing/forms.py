from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import Length, Optional


class RouteForm(FlaskForm):
    """The suggestion checkboxes are read from the request (their keys come from the engine);
    these fields add one service by hand."""

    manual_need_id = SelectField(_l("Untuk kebutuhan"), coerce=int, validate_choice=False)
    manual_service = SelectField(_l("Layanan tambahan"), validators=[Optional()], validate_choice=False)
    manual_reason = TextAreaField(
        _l("Alasan menambah layanan ini"), validators=[Optional(), Length(max=1000)], render_kw={"rows": 3}
    )
