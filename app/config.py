"""Configuration read from the environment.

Secrets never live in the repository: a production configuration refuses to start without
``SECRET_KEY``. Development makes a key of its own on its first start and keeps it in ``var/`` (never committed,
readable by its owner only), so that ``make run`` works on a fresh clone and a restart does not log everyone
out; tests get a throwaway key.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "var" / "reintegratie.sqlite3"
DEFAULT_JOBS_PATH = PROJECT_ROOT / "var" / "jobs.sqlite3"
SECRET_KEY_FILE = PROJECT_ROOT / "var" / "secret_key"


class ConfigurationError(RuntimeError):
    """Raised when the environment cannot yield a safe configuration."""


def normalise_database_url(url: str) -> str:
    """Point plain ``postgresql://`` URLs at psycopg 3, the driver this project pins."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def database_url_from_env() -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        return normalise_database_url(url)
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


def kept_secret_key(path: Path) -> str:
    """The key in ``path``, made on first use: written to a private temporary file and linked into place, so
    that two processes starting at once (``flask run``'s reloader) both end up with the one complete key."""
    try:
        kept = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    else:
        if len(kept) < 32:
            raise ConfigurationError(f"{path} holds no usable secret key; delete it and a new one is made.")
        return kept
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(secrets.token_hex(32) + "\n")
    try:
        os.link(draft, path)
    except FileExistsError:
        pass  # another process was first; its key is the one
    finally:
        draft.unlink()
    return kept_secret_key(path)


def _secret_key(env: str) -> str:
    secret = os.environ.get("SECRET_KEY", "")
    if env == "production" and len(secret) < 32:
        raise ConfigurationError(
            "SECRET_KEY must be set to at least 32 random characters in production "
            "(e.g. python -c 'import secrets; print(secrets.token_hex(32))')."
        )
    if secret:
        return secret
    return secrets.token_hex(32) if env == "testing" else kept_secret_key(SECRET_KEY_FILE)


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigurationError(f"{name} must be true or false, not {value!r}")


def _role_map(text: str) -> dict[str, str]:
    """``OIDC_ROLE_MAP=grp-inkoop=inkoper,grp-fin=finance``: claim value → role name."""
    pairs = [item.rsplit("=", 1) for item in text.split(",") if item.strip()]
    if any(len(pair) != 2 for pair in pairs):
        raise ConfigurationError("OIDC_ROLE_MAP is a comma-separated list of claim-value=role")
    return {value.strip(): role.strip() for value, role in pairs}


def _oidc() -> dict:
    """Single sign-on through the gemeente's OpenID Connect provider; off unless a client id is set."""
    issuer = os.environ.get("OIDC_ISSUER", "").strip().rstrip("/")
    discovery = os.environ.get("OIDC_DISCOVERY_URL", "").strip()
    return {
        "OIDC_CLIENT_ID": os.environ.get("OIDC_CLIENT_ID", "").strip(),
        "OIDC_CLIENT_SECRET": os.environ.get("OIDC_CLIENT_SECRET", "").strip(),
        "OIDC_DISCOVERY_URL": discovery or (f"{issuer}/.well-known/openid-configuration" if issuer else ""),
        "OIDC_NAME": os.environ.get("OIDC_NAME", "").strip() or "de gemeente",
        "OIDC_SCOPES": os.environ.get("OIDC_SCOPES", "openid email profile").strip(),
        "OIDC_USERNAME_CLAIM": os.environ.get("OIDC_USERNAME_CLAIM", "preferred_username").strip(),
        "OIDC_ROLES_CLAIM": os.environ.get("OIDC_ROLES_CLAIM", "").strip(),
        "OIDC_ROLE_MAP": _role_map(os.environ.get("OIDC_ROLE_MAP", "")),
        "OIDC_GEMEENTEN_CLAIM": os.environ.get("OIDC_GEMEENTEN_CLAIM", "").strip(),
    }


def load_config(env: str | None = None) -> dict:
    """Build the Flask config for ``env`` (``development``, ``production`` or ``testing``)."""
    env = env or os.environ.get("APP_ENV", "development")
    if env not in {"development", "production", "testing"}:
        raise ConfigurationError(f"APP_ENV must be development, production or testing, not {env!r}")
    production = env == "production"
    return {
        "APP_ENV": env,
        "SECRET_KEY": _secret_key(env),
        "DATABASE_URL": database_url_from_env(),
        "TESTING": env == "testing",
        "WTF_CSRF_ENABLED": env != "testing",
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": 8 * 3600,
        "BABEL_DEFAULT_LOCALE": "nl",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Amsterdam",
        "BABEL_TRANSLATION_DIRECTORIES": str(PROJECT_ROOT / "translations"),
        "LANGUAGES": ("nl", "en"),
        "LOGIN_MAX_FAILURES": 5,
        "LOGIN_LOCK_MINUTES": 15,
        # A log-in that finds its account locked waits this long for parallel attempts to settle (a burst of right
        # passwords undoes the lock their up-front counts took); test hashes settle in milliseconds.
        "LOGIN_SETTLE_SECONDS": 1.0 if env == "testing" else 3.0,
        # The throttle per client address on POST /login (Flask-Limiter): in memory per process by default; with
        # several processes point RATELIMIT_STORAGE_URI at a shared store, e.g. redis://localhost:6379/0.
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;100 per hour"),
        "RATELIMIT_ENABLED": _flag("RATELIMIT_ENABLED", env != "testing"),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        # Sessions end after this much inactivity, and PERMANENT_SESSION_LIFETIME after the log-in, server-side.
        "SESSION_IDLE_MINUTES": int(os.environ.get("SESSION_IDLE_MINUTES", "30")),
        # Two-factor codes for the roles that can change users or money; off by default outside production so
        # that the demo logins work with a password alone (users may still set it up themselves).
        "REQUIRE_TOTP": _flag("REQUIRE_TOTP", production),
        "TOTP_REQUIRED_ROLES": ("admin", "finance"),
        "TOTP_ISSUER": os.environ.get("TOTP_ISSUER", "Reintegratie-inkoop"),
        **_oidc(),
        # Argon2id cost: the OWASP Password Storage Cheat Sheet's minimum configuration for Argon2id (19 MiB, two
        # passes, one lane), which it rates as strong as its 46 MiB / one-pass alternative. argon2-cffi's own
        # default (64 MiB, three passes, four lanes) cost six times the CPU per log-in, and log-ins dominated the
        # p95 of the load test. Tests lower it further so that hundreds of logins stay fast.
        "ARGON2_TIME_COST": 1 if env == "testing" else 2,
        "ARGON2_MEMORY_COST": 8 * 1024 if env == "testing" else 19 * 1024,
        "ARGON2_PARALLELISM": 1,
        "PAGE_SIZE": 25,
        "HSTS": production,
        # A publisher registers its own ocid prefix with the Open Contracting Partnership.
        "OCDS_PREFIX": os.environ.get("OCDS_PREFIX", "ocds-000000"),
        "OCDS_PUBLISHER": os.environ.get("OCDS_PUBLISHER", "Gemeentelijke sociale dienst"),
        # Evidence (contracts of employment, payslips) is personal data: kept outside the web root.
        "EVIDENCE_DIR": os.environ.get("EVIDENCE_DIR", str(PROJECT_ROOT / "var" / "evidence")),
        "EVIDENCE_MAX_BYTES": 10 * 1024 * 1024,
        # Above this a request is refused before it is read (413); evidence and CSV files fit well within.
        "MAX_CONTENT_LENGTH": 32 * 1024 * 1024,
        "IMPORT_CHECK_ROWS_PER_STEP": 500,
        # Per user, the bytes of imports and evidence taken in over a rolling period (app.uploads).
        "UPLOAD_QUOTA_BYTES": int(os.environ.get("UPLOAD_QUOTA_MB", "50")) * 1024 * 1024,
        "UPLOAD_QUOTA_HOURS": 24,
        # Background jobs (app.jobs): the queue's storage, and how a dead worker is told from a slow one.
        "JOBS_URL": os.environ.get("JOBS_URL", "").strip() or f"sqlite:///{DEFAULT_JOBS_PATH}",
        "JOBS_IMMEDIATE": env == "testing",
        "JOBS_RETRIES": 1 if env == "testing" else 2,
        "JOBS_RETRY_DELAY": 0 if env == "testing" else 10,
        "JOBS_HEARTBEAT_SECONDS": 5,
        # A job's result file (an export), served only to its owner (app.jobs.keep_file).
        "JOBS_RESULT_DIR": os.environ.get("JOBS_RESULT_DIR", str(PROJECT_ROOT / "var" / "job-results")),
        "JOBS_STALE_SECONDS": 120,
        # Four-eyes: an invoice whose total (incl. VAT) exceeds this needs two different approvers.
        "INVOICE_SECOND_APPROVER_ABOVE": os.environ.get("INVOICE_SECOND_APPROVER_ABOVE", "25000.00"),
        # Notifications by e-mail (Flask-Mail): none unless MAIL_SERVER is set. PUBLIC_URL is where the links in
        # a mail point. Sending is never suppressed in tests: they run a local SMTP server.
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", "").strip(),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "25")),
        "MAIL_USE_TLS": _flag("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _flag("MAIL_USE_SSL", False),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER", "noreply@localhost"),
        "MAIL_SUPPRESS_SEND": False,
        "PUBLIC_URL": os.environ.get("PUBLIC_URL", "http://localhost:5000"),
        # Budget warnings: "much left unspent" from this month on, below this share of the budget.
        "BUDGET_LATE_FROM_MONTH": 10,
        "BUDGET_UNDERSPENT_SHARE": "0.75",
    }
