"""Users, roles, login, lockout, API tokens."""


def init_app(app):
    from flask_babel import lazy_gettext as _l

    from slrt.accounts.cli import tokens_cli, users_cli
    from slrt.accounts.models import User
    from slrt.accounts.views import bp
    from slrt.extensions import db, login_manager

    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Silakan masuk untuk membuka halaman ini.")
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        # "<id>:<generation>"; a session of an older generation was ended on the server.
        ident, _, generation = user_id.partition(":")
        if not ident.isdecimal() or not generation.isdecimal():
            return None
        user = db.session.get(User, int(ident))
        if user is None or not user.active or int(generation) != (user.session_generation or 0):
            return None
        return user

    app.register_blueprint(bp)
    from slrt.accounts.home import admin_home_data
    from slrt.accounts.views import require_password_change

    app.add_template_global(admin_home_data)

    app.before_request(require_password_change)
    from slrt.accounts.security import bp as security_bp

    app.register_blueprint(security_bp)
    app.cli.add_command(users_cli)
    app.cli.add_command(tokens_cli)
