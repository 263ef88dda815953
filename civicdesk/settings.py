"""CivicDesk settings: the only settings module. Every value comes from the environment.

The variables are listed, with their defaults, in docs/admin-guide.md ("Configuration").
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent


# ---------------------------------------------------------------- reading the environment


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value in (None, "") else value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    if value.lower() not in {"true", "false", "1", "0", "yes", "no"}:
        raise ImproperlyConfigured(f"{name}={value!r}: use true or false.")
    return value.lower() in {"true", "1", "yes"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={value!r}: use a whole number.") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


# ---------------------------------------------------------------- data folder and secrets

VAR_DIR = Path(env("CIVICDESK_VAR_DIR", str(Path.cwd() / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key_from_var_dir() -> str:
    """Generate the secret key once and keep it in the data folder, readable by its owner only."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


DEBUG = env_bool("CIVICDESK_DEBUG", default=False)
SECRET_KEY = env("CIVICDESK_SECRET_KEY") or _secret_key_from_var_dir()
ALLOWED_HOSTS = env_list("CIVICDESK_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CIVICDESK_CSRF_TRUSTED_ORIGINS", [])
# Public address of this installation, used in emails (invitations, password resets).
SITE_URL = env("CIVICDESK_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# ---------------------------------------------------------------- applications

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_htmx",
    "template_partials",
    "csp",
    "ninja",  # serves the API docs page from local static files, not a CDN
    "django_tasks",
    "django_tasks_db",
    "civicdesk.core",
    "civicdesk.accounts",
    "civicdesk.audit",
    "civicdesk.geo",
    "civicdesk.tags",
    "civicdesk.constituents",
    "civicdesk.casework",
    "civicdesk.tabular",
    "civicdesk.dedupe",
    "civicdesk.imports",
    "civicdesk.exports",
    "civicdesk.interchange",
    "civicdesk.jobs",
    "civicdesk.reports",
    "civicdesk.demo",
    "civicdesk.ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "civicdesk.accounts.middleware.CurrentMembershipMiddleware",
    "civicdesk.accounts.middleware.RequireMfaMiddleware",
]

ROOT_URLCONF = "civicdesk.urls"
WSGI_APPLICATION = "civicdesk.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "civicdesk.accounts.context_processors.membership",
            ],
            # {% partialdef %} everywhere without {% load %} (STYLE.md: fragments are named partials)
            "builtins": ["template_partials.templatetags.partials"],
        },
    }
]

# ---------------------------------------------------------------- database

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'civicdesk.sqlite3'}"),
        conn_max_age=0,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while the worker writes; IMMEDIATE avoids lock upgrades mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
elif env_bool("CIVICDESK_DB_POOL", default=False):
    # Django 5.2's psycopg pool (see docs/admin-guide.md: granian threads <= pool size).
    DATABASES["default"]["OPTIONS"] = {
        "pool": {"min_size": 2, "max_size": env_int("CIVICDESK_DB_POOL_SIZE", 8), "timeout": 10}
    }

# ---------------------------------------------------------------- background work

REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 3600}}
    INSTALLED_APPS.append("django_rq")
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# Seconds between the worker scheduler's looks at the periodic schedule.
SCHEDULER_TICK_SECONDS = env_int("CIVICDESK_SCHEDULER_TICK_SECONDS", 15)

# ---------------------------------------------------------------- caches

if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    # allauth's rate limits count in the cache, which must be shared by every web process.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "civicdesk_cache",
        }
    }

# ---------------------------------------------------------------- email

EMAIL_URL = env("EMAIL_URL", "console://")


def _email_settings(url: str) -> dict:
    """smtp://user:pass@host:port, smtp+tls://..., smtp+ssl://..., console://, memory://, file:///path"""
    from urllib.parse import unquote, urlparse

    parsed = urlparse(url)
    scheme = parsed.scheme
    if scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if scheme == "memory":
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    if scheme == "file":
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": parsed.path,
        }
    if scheme in {"smtp", "smtp+tls", "smtp+ssl"}:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": parsed.hostname or "localhost",
            "EMAIL_PORT": parsed.port
            or (465 if scheme == "smtp+ssl" else 587 if scheme == "smtp+tls" else 25),
            "EMAIL_HOST_USER": unquote(parsed.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parsed.password or ""),
            "EMAIL_USE_TLS": scheme == "smtp+tls",
            "EMAIL_USE_SSL": scheme == "smtp+ssl",
        }
    raise ImproperlyConfigured(
        f"EMAIL_URL scheme {scheme!r} is not one of smtp, smtp+tls, smtp+ssl, console, memory, file."
    )


globals().update(_email_settings(EMAIL_URL))
DEFAULT_FROM_EMAIL = env("CIVICDESK_FROM_EMAIL", "CivicDesk <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# ---------------------------------------------------------------- accounts and sessions

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "civicdesk.accounts.adapter.AccountAdapter"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
# Staff join by invitation only; see accounts.services.invite_member.
ACCOUNT_ALLOW_SIGNUPS = False
ACCOUNT_RATE_LIMITS = {
    "login_failed": "5/5m/ip,5/5m/key",
    "reset_password": "10/m/ip,3/m/key",
}
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "reports:home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"

MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_TOTP_ISSUER = "CivicDesk"
MFA_PASSKEY_LOGIN_ENABLED = False
# Plain-http WebAuthn only for local development and tests.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = env_bool("CIVICDESK_WEBAUTHN_INSECURE_ORIGIN", default=DEBUG)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Idle expiry: every request pushes the expiry forward, so only inactivity logs a person out.
SESSION_COOKIE_AGE = env_int("CIVICDESK_SESSION_IDLE_MINUTES", 30) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# Secure cookies and HTTPS unless explicitly serving plain http (development, tests, `make run`).
SECURE = env_bool("CIVICDESK_SECURE", default=not DEBUG)
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = SECURE and env_bool("CIVICDESK_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = 31536000 if SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https")
    if env_bool("CIVICDESK_BEHIND_PROXY", default=False)
    else None
)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Content-Security-Policy: no inline script or style anywhere (django-csp 4).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# ---------------------------------------------------------------- language and time

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# ---------------------------------------------------------------- files

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]  # vendored front-end libraries (static/vendor/VERSIONS)
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns at start-up when it is missing
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Manifest storage needs collectstatic; `runserver`-style serving (tests) uses the plain one.
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("CIVICDESK_MANIFEST_STATIC", default=False)
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}
# whitenoise serves straight from the app folders when collectstatic has not run.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# ---------------------------------------------------------------- uploads (casework/documents.py)


def checked_upload_max_mb(value: int) -> int:
    if not 1 <= value <= 1024:
        raise ImproperlyConfigured(
            f"CIVICDESK_UPLOAD_MAX_MB={value}: use a size in megabytes from 1 to 1024."
        )
    return value


def checked_scanner(path: str) -> str:
    """The CIVICDESK_UPLOAD_SCANNER dotted path, refused at start when its module does not exist.
    (Only the module is looked up: importing it would need the apps, not ready here.)"""
    from importlib.util import find_spec

    module, _dot, name = path.rpartition(".")
    try:
        found = bool(module and name.isidentifier() and find_spec(module))
    except (ImportError, ValueError):
        found = False
    if not found:
        raise ImproperlyConfigured(
            f"CIVICDESK_UPLOAD_SCANNER={path!r}: name a scanner function by its dotted path, e.g. "
            "civicdesk.casework.documents.clamd_scanner."
        )
    return path


def checked_clamd(address: str) -> str:
    host, _colon, port = address.removeprefix("tcp://").rpartition(":")
    is_tcp = address.startswith("tcp://") and host and port.isdigit()
    if not (is_tcp or address.startswith(("unix:///", "/"))):
        raise ImproperlyConfigured(
            f"CIVICDESK_CLAMD={address!r}: use unix:///path/to/clamd.sock or tcp://host:3310."
        )
    return address


# Uploaded documents larger than this are refused with a clear message.
CIVICDESK_UPLOAD_MAX_MB = checked_upload_max_mb(env_int("CIVICDESK_UPLOAD_MAX_MB", 20))
# Called with every upload before a case keeps it: None means clean, a string is why it is
# refused. The default refuses the EICAR test file; offices running ClamAV use clamd_scanner.
CIVICDESK_UPLOAD_SCANNER = checked_scanner(
    env("CIVICDESK_UPLOAD_SCANNER", "civicdesk.casework.documents.signature_scanner")
)
# People files larger than this are refused by the import wizard (the command has no limit).
CIVICDESK_IMPORT_MAX_MB = env_int("CIVICDESK_IMPORT_MAX_MB", 2048)
# Imports: rows per transaction (each one a checkpoint); how long a running import may stay
# silent before the worker's scheduler resumes it; PostgreSQL foreign-key checks per chunk
# instead of per row (needs the right to set session_replication_role; docs/imports-admin.md).
IMPORT_CHUNK_ROWS = env_int("CIVICDESK_IMPORT_CHUNK_ROWS", 5000)
IMPORT_STALE_SECONDS = env_int("CIVICDESK_IMPORT_STALE_SECONDS", 120)
IMPORT_SET_BASED_CHECKS = env_bool("CIVICDESK_IMPORT_SET_BASED_CHECKS", True)
# House CMS interchange ZIPs larger than this are refused by the upload page.
CIVICDESK_INTERCHANGE_MAX_MB = env_int("CIVICDESK_INTERCHANGE_MAX_MB", 2048)
# Where clamd_scanner finds clamd (Debian's socket by default).
CIVICDESK_CLAMD = checked_clamd(env("CIVICDESK_CLAMD", "unix:///var/run/clamav/clamd.ctl"))

# ---------------------------------------------------------------- API

NINJA_PAGINATION_PER_PAGE = 50
NINJA_MAX_PER_PAGE_SIZE = 500
API_TOKEN_DEFAULT_DAYS = env_int("CIVICDESK_API_TOKEN_DAYS", 90)
INVITATION_VALID_FOR = timedelta(days=7)

# ---------------------------------------------------------------- geocoding (geo/geocoding.py)

# Providers asked in order: local (the office's address file), census, nominatim (network).
GEOCODER_NAMES = ("local", "census", "nominatim")  # geo/geocoding.py's PROVIDERS


def checked_geocoders(names: list[str]) -> list[str]:
    """The CIVICDESK_GEOCODERS list, refused at start when it names a provider that does not exist."""
    unknown = [name for name in names if name not in GEOCODER_NAMES]
    if unknown:
        raise ImproperlyConfigured(
            f"CIVICDESK_GEOCODERS names {', '.join(map(repr, unknown))}, which is not a geocoder; "
            f"use some of {', '.join(GEOCODER_NAMES)}."
        )
    return names


GEOCODERS = checked_geocoders(env_list("CIVICDESK_GEOCODERS", ["local"]))
GEOCODER_TIMEOUT = env_int("CIVICDESK_GEOCODER_TIMEOUT", 10)  # seconds per remote request
NOMINATIM_URL = env("CIVICDESK_NOMINATIM_URL", "https://nominatim.openstreetmap.org")

# ---------------------------------------------------------------- logging
# Message bodies, passwords and tokens are never logged: only ids and counts reach these handlers.

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("CIVICDESK_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
