"""TOTP two-factor codes (RFC 6238, the codes of any authenticator app) and single-use recovery codes.

Codes are checked against the app's clock (:func:`app.clock.now`), one 30-second step either side to allow
for a phone that runs a little early or late. A code is accepted once: the step of the last code used is kept,
and only a later step passes, so a code read over someone's shoulder cannot be used again.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from typing import Any

import pyotp
import segno
from markupsafe import Markup

from app import clock
from app.models.users import Role, User

STEP_SECONDS = 30
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper without doubt


def new_secret() -> str:
    return pyotp.random_base32()


def required_for(user: User, config: Mapping[str, Any]) -> bool:
    return bool(config["REQUIRE_TOTP"]) and user.role in {Role(r) for r in config["TOTP_REQUIRED_ROLES"]}


def matching_step(secret: str, code: str, after_step: int | None) -> int | None:
    """The time step ``code`` belongs to (now, or one step either side), if it is later than ``after_step``."""
    code = "".join(code.split())
    if not (code.isascii() and code.isdigit()):  # str.isdigit also takes other scripts' digits, e.g. "٠"
        return None
    totp = pyotp.TOTP(secret, interval=STEP_SECONDS)
    current = int(clock.now().timestamp()) // STEP_SECONDS
    for step in (current - 1, current, current + 1):
        if (after_step is None or step > after_step) and hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def provisioning_uri(secret: str, username: str, issuer: str) -> str:
    return pyotp.TOTP(secret, interval=STEP_SECONDS).provisioning_uri(name=username, issuer_name=issuer)


def qr_svg(uri: str, title: str) -> Markup:
    """The enrolment QR code as inline SVG markup (no image request, no inline style: CSP-safe)."""
    svg = segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff", title=title)
    return Markup(svg)  # noqa: S704 - segno's own markup from our own URI; no user text in it unescaped


def new_recovery_codes() -> list[str]:
    """Ten codes of 10 characters (about 50 bits each), shown once as xxxxx-xxxxx."""
    return [
        "-".join("".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(5)) for _ in range(2))
        for _ in range(RECOVERY_CODE_COUNT)
    ]


def recovery_hash(code: str) -> str:
    normalised = "".join(code.lower().split()).replace("-", "")
    return hashlib.sha256(normalised.encode()).hexdigest()
