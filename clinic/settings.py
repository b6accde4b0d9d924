"""Chairside settings: one module, every value read from the environment.

Defaults are safe for development (DEBUG on, SQLite, console email). Production is the
same module with DEBUG=0 and real secrets: SECRET_KEY (or SECRET_KEY_FILE), ALLOWED_HOSTS,
DATABASE_URL, EMAIL_URL settings, REDIS_URL.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

import dj_database_url
import xstatic.pkg.bootstrap as xstatic_bootstrap
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    """Return a string variable; `NAME_FILE` (a path) wins, for container secrets."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    """Return a boolean variable; only true/false spellings are accepted."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from exc


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is required when DEBUG is off")
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# The public address of the site, used to build links in emails.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "clinic.apps.ChairsideAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "simple_history",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "django_q",
    "clinic",
    "intake",
    "scheduling",
    "visits",
    "interop",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "clinic.middleware.NoStoreMiddleware",
    "clinic.middleware.RetryAfterMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "clinic.middleware.StaffEnglishMiddleware",
    "clinic.middleware.ClinicTimeMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "clinic.urls"
WSGI_APPLICATION = "clinic.wsgi.application"
ASGI_APPLICATION = "clinic.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock up front, so bookings serialise on SQLite.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, sessions, rate limits ----------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "chairside",
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

# Staff sessions end after 30 minutes idle and when the browser closes.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Authentication ------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"

# Staff two-factor: required whenever DEBUG is off; OTP_REQUIRED=1 switches it on in development.
OTP_REQUIRED = env_bool("OTP_REQUIRED", not DEBUG)
OTP_TOTP_ISSUER = "Chairside"

# django-axes: 5 failures lock that account from that address for 15 minutes. The lock is on
# the pair, so someone elsewhere who knows a colleague's username can't lock them out.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
AXES_ENABLED = env_bool("AXES_ENABLED", True)
# The same client address as the rate limits and the access log (clinic/client.py).
AXES_CLIENT_IP_CALLABLE = "clinic.client.client_ip"
# Every failure is kept (per username, the newest 1,000): the sign-in alarm counts them.
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# The alarm (not a lock): this many failures for one username within the window, from at
# least this many addresses, email the clinic lead and show on the staff dashboard, once
# per burst (clinic/signin_alarm.py).
SIGN_IN_ALARM_FAILURES = env_int("SIGN_IN_ALARM_FAILURES", 20)
SIGN_IN_ALARM_ADDRESSES = env_int("SIGN_IN_ALARM_ADDRESSES", 3)
SIGN_IN_ALARM_WINDOW_MINUTES = env_int("SIGN_IN_ALARM_WINDOW_MINUTES", 60)

# --- Internationalisation and time ----------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# A patient's language choice outlives the browser session: they come back from emailed links.
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"
# The clinic's one time zone: every page, email and ICS shows this local time.
CLINIC_TIME_ZONE = env_str("CLINIC_TIME_ZONE", "America/New_York")

# --- Static files and private documents -------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# Bootstrap 5 comes from the XStatic-Bootstrap package: no CDN.
STATICFILES_DIRS = [BASE_DIR / "static", ("bootstrap", xstatic_bootstrap.BASE_DIR)]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            # Whitenoise's manifest storage, but a missing or stale manifest gives plain URLs
            # instead of a 500 on every page (and `check --deploy` warns about it).
            else "clinic.staticfiles.ForgivingManifestStaticFilesStorage"
        )
    },
}
# Referral documents live outside every URL space; staff fetch them through a checked view.
# "local": files under PRIVATE_MEDIA_ROOT (one app server); "s3": a private bucket on any
# S3-compatible store (several app servers), see clinic/storage.py.
DOCUMENT_STORAGE = env_str("DOCUMENT_STORAGE", "local").strip().lower()
PRIVATE_MEDIA_ROOT = Path(env_str("PRIVATE_MEDIA_ROOT", str(BASE_DIR / "private")))
if DOCUMENT_STORAGE == "s3":
    DOCUMENT_S3 = {
        "bucket_name": env_str("DOCUMENT_S3_BUCKET"),
        "endpoint_url": env_str("DOCUMENT_S3_ENDPOINT_URL") or None,
        "region_name": env_str("DOCUMENT_S3_REGION") or None,
        "access_key": env_str("DOCUMENT_S3_ACCESS_KEY_ID") or None,
        "secret_key": env_str("DOCUMENT_S3_SECRET_ACCESS_KEY") or None,
        "location": env_str("DOCUMENT_S3_PREFIX", "referral-documents"),
    }
    if not DOCUMENT_S3["bucket_name"]:
        raise ImproperlyConfigured("DOCUMENT_STORAGE=s3 needs DOCUMENT_S3_BUCKET")
elif DOCUMENT_STORAGE != "local":
    raise ImproperlyConfigured(f"DOCUMENT_STORAGE must be local or s3, not {DOCUMENT_STORAGE!r}")
DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
DOCUMENT_MAX_FILES = 10
# Images are decoded on upload; more pixels than this is refused before decoding (a 48 MP
# phone photo fits; a decompression bomb declaring 30,000 x 30,000 does not).
DOCUMENT_MAX_PIXELS = 50_000_000
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Forms ---------------------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Email ---------------------------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Chairside <no-reply@chairside.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ON_CALL_EMAIL = env_str("ON_CALL_EMAIL", "on-call@chairside.example")
INTAKE_EMAIL = env_str("INTAKE_EMAIL", "intake@chairside.example")
# The clinic lead (unless clinic settings name one): security notices (the sign-in alarm)
# and the second escalation of an unacknowledged urgent flag.
CLINIC_LEAD_EMAIL = env_str("CLINIC_LEAD_EMAIL", "lead@chairside.example")
# An urgent flag still open this long goes to the next on call and ON_CALL_EMAIL; after
# twice as long, to the clinic lead.
FLAG_ESCALATE_AFTER_MINUTES = env_int("FLAG_ESCALATE_AFTER_MINUTES", 30)

# --- Paging: urgent flags as PagerDuty Events API v2 events (admin link and level only) ------
ONCALL_WEBHOOK_URL = env_str("ONCALL_WEBHOOK_URL")
ONCALL_WEBHOOK_KEY = env_str("ONCALL_WEBHOOK_KEY")
ONCALL_WEBHOOK_TIMEOUT = env_int("ONCALL_WEBHOOK_TIMEOUT", 10)
if ONCALL_WEBHOOK_URL and not ONCALL_WEBHOOK_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured("ONCALL_WEBHOOK_URL must be an http(s) address")

# --- Task queue (django-q2): every notice, escalation, reminder and purge -------------------
# The database is the broker by default (nothing else to run); TASK_BROKER=redis with
# REDIS_URL for several worker machines. The outbox (clinic.notices) is the source of truth:
# a lost task is picked up again by the every-minute sweep.
TASK_BROKER = env_str("TASK_BROKER", "orm").strip().lower()
Q_CLUSTER: dict = {
    "name": "chairside",
    "label": "Task queue",
    "workers": env_int("TASK_WORKERS", 2),
    # A task may run this long (an email times out after EMAIL_TIMEOUT; the sweep stops
    # taking new notices after NOTICE_SWEEP_SECONDS) ...
    "timeout": 90,
    # ... and one not acknowledged after this is handed to a worker again (> timeout).
    "retry": 120,
    "max_attempts": 3,
    # A worker back after downtime runs each missed job once, not once per missed minute.
    "catch_up": False,
    "save_limit": 100,
    "save_limit_per": "func",
    "poll": 0.5,
    "sync": env_bool("TASKS_SYNC", False),
}
if TASK_BROKER == "redis":
    if not REDIS_URL:
        raise ImproperlyConfigured("TASK_BROKER=redis needs REDIS_URL")
    Q_CLUSTER["redis"] = REDIS_URL
elif TASK_BROKER == "orm":
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["broker_class"] = "clinic.tasks.OrmBroker"
else:
    raise ImproperlyConfigured(f"TASK_BROKER must be orm or redis, not {TASK_BROKER!r}")
# Outbox retries: minutes to wait after each failed try; failed after the last.
NOTICE_RETRY_MINUTES = [1, 2, 4, 8]
NOTICE_SWEEP_SECONDS = 60
# /healthz and the dashboard call the scheduler stale when its heartbeat is older than this.
TASK_HEARTBEAT_STALE_SECONDS = env_int("TASK_HEARTBEAT_STALE_SECONDS", 150)
# Expired private links are deleted this many days after they expire (until then a patient
# following an old link is told it expired rather than that it is unknown).
PRIVATE_LINK_PURGE_AFTER_DAYS = 30
# Waitlist: an offered earlier time is held this many hours (never past its start minus the
# patient's notice); each freed time is offered to this many waitlisted patients at once.
WAITLIST_OFFER_HOURS = env_int("WAITLIST_OFFER_HOURS", 4)
WAITLIST_OFFER_BATCH = env_int("WAITLIST_OFFER_BATCH", 3)

# --- Security headers (see `manage.py check --deploy`) ----------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
if env_bool("BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# The client's address (clinic/client.py; README "Behind a proxy"). With neither set,
# X-Forwarded-For is ignored and the address is the TCP peer.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more")
for _network in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError as exc:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {_network!r} is not a network") from exc
if len(TRUSTED_PROXIES) > 1 and TRUSTED_PROXY_COUNT not in (0, len(TRUSTED_PROXIES)):
    raise ImproperlyConfigured(
        "TRUSTED_PROXIES lists one network per proxy: give as many as TRUSTED_PROXY_COUNT, "
        "or a single network that every proxy is in"
    )

# Pages that show health data or staff work: no cache may keep them (clinic/middleware.py).
# The staff admin, staff document downloads, and the patients' private links.
# /fhir/: the FHIR API (interop) answers with health data to token-holding systems.
NO_STORE_PATH_PREFIXES = ["/admin/", "/staff/", "/q/", "/my/", "/fhir/"]

# Strict policy: no inline scripts or styles anywhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Logging: never health data; names of objects only by id -----------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # At DEBUG it logs missing template variables with tracebacks that show page data.
        "django.template": {"level": "INFO"},
        "axes": {"level": "WARNING"},
        # django-q logs each task's arguments (ids only) at INFO; its errors still show.
        "django-q": {"level": env_str("TASK_LOG_LEVEL", "WARNING")},
    },
}

# A private link locks for good after this many wrong dates of birth in total, until staff
# re-issue it (clinic/links.py).
PRIVATE_LINK_MAX_TRIES = 10
