"""Dutch first, English on request: the choice is kept in the session."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, has_request_context, redirect, request, session, url_for
from flask_babel import Babel, gettext

from app import formatting
from app.urls import safe_next_url

babel = Babel()
bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    """The session's choice; outside a request (a background job, a command) the default, unless the job forces
    the language of the user who asked for it (``flask_babel.force_locale``)."""
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("lang")
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


@bp.route("/taal/<code>")
def switch(code: str):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(safe_next_url(request.args.get("next")) or url_for("home.index"))


def translate(message: object) -> str:
    """Show a message of the pure domain packages in the user's language.

    Their messages are Dutch text that carries its template (a msgid in the catalog) and parameters;
    string parameters such as status labels are msgids too. Anything else is shown as it is.
    """
    template = getattr(message, "template", None)
    if template is None:
        return str(message)

    def param(value: object) -> object:
        if getattr(value, "template", None) is not None:
            return translate(value)
        if isinstance(value, date):
            return formatting.date(value)
        if isinstance(value, list | tuple):
            return ", ".join(str(param(v)) for v in value)
        return gettext(value) if isinstance(value, str) and value else value

    return gettext(template, **{k: param(v) for k, v in message.params.items()})


def init_app(app) -> None:
    babel.init_app(app, locale_selector=select_locale)
    formatting.init_app(app)
    app.add_template_filter(translate, "translated")
    app.register_blueprint(bp)

    @app.context_processor
    def _languages():
        return {"current_language": select_locale(), "languages": app.config["LANGUAGES"]}
