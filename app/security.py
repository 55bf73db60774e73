"""CSRF protection for every form and security headers on every response.

Nothing but a static asset may be kept in a cache: pages, API answers and every download (ledger exports
with IBANs, the marap, UBL documents, evidence files, import templates) carry personal or financial data,
and a shared computer's browser cache or a proxy must not keep them. So every response that is not a
static file gets ``Cache-Control: no-store`` (and ``Pragma: no-cache`` for HTTP/1.0 caches), replacing
whatever a view or ``send_file`` set (``send_file`` says ``no-cache``, which still lets a browser store).
"""

from __future__ import annotations

from flask import Flask, request
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def init_app(app: Flask) -> None:
    csrf.init_app(app)

    @app.after_request
    def _headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config.get("HSTS"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if not _is_static(request.endpoint):
            headers["Cache-Control"] = "no-store"
            headers["Pragma"] = "no-cache"
        return response


def _is_static(endpoint: str | None) -> bool:
    """The app's and any blueprint's static files: the only answers that hold no one's data."""
    return endpoint is not None and (endpoint == "static" or endpoint.endswith(".static"))
