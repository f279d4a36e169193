"""Flask extensions, created unbound; `create_app` binds them. Nothing connects at import time."""

from typing import TYPE_CHECKING

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from slrt.core import ratelimit  # noqa: F401 - registers the slrt-memory:// rate-limit storage
from slrt.core.db import Base

db = SQLAlchemy(model_class=Base)
if TYPE_CHECKING:
    from flask_sqlalchemy.model import Model as _FlaskModel

    # mypy takes no base class from an attribute (`db.Model` is built at run time); to it the
    # models' base is what Flask-SQLAlchemy builds: our declarative Base plus its Model mixin.
    class Model(Base, _FlaskModel):
        __abstract__ = True

else:
    Model = db.Model
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


def _signed_in() -> bool:
    """Signed-in staff are exempt from the default limit: a whole desk may share one IP."""
    return bool(current_user and current_user.is_authenticated)


# The default limit (RATELIMIT_DEFAULT) covers every anonymous request to a route without a
# limit of its own; routes with their own limits (login, status, reports) replace it.
limiter = Limiter(key_func=get_remote_address, default_limits_exempt_when=_signed_in)
