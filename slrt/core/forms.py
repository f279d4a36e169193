"""Forms every feature uses: the empty form of POST-only buttons, and putting a service's
collected problems back onto the form that sent the input."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_wtf import FlaskForm


def apply_errors(
    form: Any, errors: dict[str | None, list[str]], field_for: Callable[[str], Any] | None = None
) -> None:
    """Each message goes beside its field; a message with no matching field (key None or
    unknown) goes to the top of the form. `field_for` resolves keys a form nests, e.g. rows."""
    for key, messages in errors.items():
        target = field_for(key) if key and field_for else None
        if target is None and key:
            target = getattr(form, key, None)
        if target is None:
            form.form_errors.extend(messages)
        else:
            target.errors = list(target.errors or []) + list(messages)


class EmptyForm(FlaskForm):
    """For POST-only buttons: carries the CSRF token."""
