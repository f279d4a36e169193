"""Configuration classes. Secrets and the database URL come from the environment.

SLRT_CONFIG picks the class (development, testing, production); DATABASE_URL points at the
database (SQLite in the instance folder when absent); SLRT_SECRET_KEY signs sessions.
"""

import ipaddress
import os
from datetime import timedelta
from urllib.parse import urlsplit

DEFAULT_SECRET = "dev-only-not-secret"  # noqa: S105 - refused in production, see ProdConfig.check
# The public development keys of slrt.core.crypto, repeated here so config.py imports nothing.
DEV_ENCRYPTION_KEY = "ZGV2LW9ubHktbm90LXNlY3JldC1zbHJ0LWtleS0wMDA="
DEV_HASH_KEY = "dev-only-not-secret-hash-key"


class Config:
    SECRET_KEY = os.environ.get("SLRT_SECRET_KEY", DEFAULT_SECRET)
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")  # None: SQLite in the instance folder
    # No ping on every checkout (a round trip per request on the hot public paths): connections
    # are recycled before any server or firewall idle timeout, and one that sat idle in the pool
    # longer than DB_PING_IDLE_SECONDS is pinged before use and replaced if dead (slrt.core.db).
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": False, "pool_recycle": 1800}
    DB_PING_IDLE_SECONDS = float(os.environ.get("SLRT_DB_PING_IDLE_SECONDS", "10"))
    WTF_CSRF_TIME_LIMIT = None  # a desk form may stay open all morning; the session still expires
    BABEL_DEFAULT_LOCALE = "id"
    BABEL_DEFAULT_TIMEZONE = "Asia/Jakarta"
    LANGUAGES = {"id": "Bahasa Indonesia", "en": "English"}
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    # A session idle this long is logged out (the absolute limit above still applies).
    IDLE_MINUTES = int(os.environ.get("SLRT_IDLE_MINUTES", "30"))
    # Reverse proxies in front of the app (nginx: 1). Their X-Forwarded-For/-Proto are then
    # trusted, so rate limits and the audit trail see the citizen's address, not the proxy's.
    # 0 (default): no proxy, the headers are ignored (anyone could forge them).
    PROXY_HOPS = int(os.environ.get("SLRT_PROXY_HOPS", "0"))
    HSTS_SECONDS = 0  # production only: see ProdConfig
    # Anonymous requests per IP on every route without a limit of its own (status, HSDS, ...).
    RATELIMIT_DEFAULT = os.environ.get("SLRT_PUBLIC_RATE_LIMIT", "300/minute")
    # Token API (/api/v1 with a Bearer token) per client address, all routes together; and
    # refused tokens (401) per address (slrt.api.auth.limited).
    API_RATE_LIMIT = os.environ.get("SLRT_API_RATE_LIMIT", "3000/minute")
    API_AUTH_FAILURE_LIMIT = os.environ.get("SLRT_API_AUTH_FAILURE_LIMIT", "30/minute")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    # One app server: counters in process (slrt.core.ratelimit); several: redis://host:6379/0.
    RATELIMIT_STORAGE_URI = os.environ.get("SLRT_RATELIMIT_STORAGE_URI", "slrt-memory://")
    # Redis down must not take the app down: each worker counts in process meanwhile (with a
    # logged warning), and goes back to Redis once it answers a ping again
    # (tests/test_faults.py). Timeouts so an unreachable host costs a second, not a hang.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_STORAGE_OPTIONS = (
        {"socket_connect_timeout": 1, "socket_timeout": 1}
        if RATELIMIT_STORAGE_URI.startswith("redis")
        else {}
    )
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_MAX_FAILURES = 5
    LOGIN_LOCKOUT = timedelta(minutes=15)
    # werkzeug's generate_password_hash method; only TestConfig makes it cheap.
    PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 - a method name, not a password
    # Failures for one username from all addresses together before the account itself locks:
    # well above what one address may try (LOGIN_MAX_FAILURES), so a lock needs many addresses.
    LOGIN_ACCOUNT_MAX_FAILURES = 50
    # Attachments one case may hold (each up to 5 MB).
    MAX_ATTACHMENTS_PER_CASE = int(os.environ.get("SLRT_MAX_ATTACHMENTS_PER_CASE", "10"))
    # A DTSEN check older than this many days is shown as "perlu dicek ulang" (about 6 months:
    # DTSEN is updated through the year, and a desil may have changed since).
    DTSEN_CHECK_MAX_AGE_DAYS = int(os.environ.get("SLRT_DTSEN_CHECK_MAX_AGE_DAYS", "183"))
    # A running deadline counts as "at risk" (Hampir jatuh tempo) when at most this many working
    # days remain (or under a quarter of its SLA, whichever comes first).
    AT_RISK_WORKING_DAYS = int(os.environ.get("SLRT_AT_RISK_WORKING_DAYS", "2"))
    # The sweep's automatic notices: one reminder to the agency when a referral becomes at risk,
    # one escalation to the agency head at breach (slrt.referrals.reminders).
    REMIND_AT_RISK = os.environ.get("SLRT_REMIND_AT_RISK", "1") == "1"
    ESCALATE_TO_AGENCY_HEAD = os.environ.get("SLRT_ESCALATE_TO_AGENCY_HEAD", "1") == "1"
    # Where uploaded attachments live: outside static/, served only through access checks.
    UPLOAD_DIR = os.environ.get("SLRT_UPLOAD_DIR")  # None: <instance>/uploads
    MAX_CONTENT_LENGTH = 26 * 1024 * 1024  # several 5 MB attachments in one form
    PUBLIC_BASE_URL = os.environ.get("SLRT_PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    MAIL_SERVER = os.environ.get("SLRT_MAIL_SERVER", "127.0.0.1")
    MAIL_PORT = int(os.environ.get("SLRT_MAIL_PORT", "8025"))
    MAIL_SENDER = os.environ.get("SLRT_MAIL_SENDER", "slrt@localhost")
    # NIK and No. KK at rest (slrt.core.crypto): Fernet keys, newest first, comma-separated;
    # a separate HMAC key for exact lookup.
    ENCRYPTION_KEYS = os.environ.get("SLRT_ENCRYPTION_KEYS", DEV_ENCRYPTION_KEY)
    HASH_KEY = os.environ.get("SLRT_HASH_KEY", DEV_HASH_KEY)
    # Closed cases are anonymised this many years after closing (`flask retention run`).
    RETENTION_YEARS = int(os.environ.get("SLRT_RETENTION_YEARS", "5"))
    # How long a revealed NIK/No. KK stays shown to the officer who revealed it.
    REVEAL_MINUTES = 5

    @classmethod
    def check(cls) -> None:
        """Refuses settings that must never run; overridden where it matters."""


class DevConfig(Config):
    DEBUG = False  # the demo runs without the debugger: no stack trace ever reaches a user


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"  # noqa: S105
    WTF_CSRF_ENABLED = True
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "slrt-memory://"
    SERVER_NAME = None
    # One PBKDF2 round instead of scrypt: the shared `world` fixture hashes ten passwords, which
    # took 0.9 s of its 1.1 s. Never outside tests (tests/test_accounts.py checks production).
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1"  # noqa: S105


class ProdConfig(Config):
    HSTS_SECONDS = 365 * 24 * 3600
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"

    @classmethod
    def check(cls) -> None:
        key = os.environ.get("SLRT_SECRET_KEY")
        if not key or key == DEFAULT_SECRET or len(key) < 32:
            raise RuntimeError(
                "SLRT_SECRET_KEY must be set to a random value of 32+ characters in production"
            )
        keys = [k.strip() for k in os.environ.get("SLRT_ENCRYPTION_KEYS", "").split(",") if k.strip()]
        if not keys or DEV_ENCRYPTION_KEY in keys:
            raise RuntimeError(
                "SLRT_ENCRYPTION_KEYS must hold the production Fernet key(s), newest first "
                "(make one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())')"
            )
        from cryptography.fernet import Fernet

        for key in keys:
            try:
                Fernet(key.encode())
            except ValueError as exc:
                raise RuntimeError("SLRT_ENCRYPTION_KEYS holds a value that is not a Fernet key") from exc
        hash_key = os.environ.get("SLRT_HASH_KEY")
        if not hash_key or hash_key == DEV_HASH_KEY or len(hash_key) < 32:
            raise RuntimeError("SLRT_HASH_KEY must be set to a random value of 32+ characters in production")
        if not os.environ.get("DATABASE_URL"):
            raise RuntimeError("DATABASE_URL must point at PostgreSQL in production")
        if not is_public_base_url(os.environ.get("SLRT_PUBLIC_BASE_URL", "")):
            # Receipts, letters and their QR codes carry this address to citizens: the
            # development default (http://127.0.0.1:5000) would send them to their own phone.
            raise RuntimeError(
                "SLRT_PUBLIC_BASE_URL must be the address citizens open in production "
                "(e.g. https://slrt.example.go.id), not unset or a local address"
            )


def is_public_base_url(url: str) -> bool:
    """True for an http(s) URL whose host is a name or address others can reach: not
    localhost, a loopback, unspecified or link-local address, nor a `.local`/`.localhost` name."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").rstrip(".").lower()
    if parts.scheme not in ("http", "https") or not host:
        return False
    if host == "localhost" or host.endswith((".localhost", ".local")):
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return True  # a host name
    return not (address.is_loopback or address.is_unspecified or address.is_link_local)


CONFIGS = {"development": DevConfig, "testing": TestConfig, "production": ProdConfig}
