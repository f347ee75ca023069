"""Settings for Co-browse Admin, read from the environment.

Defaults give a development checkout that runs at once (SQLite, no Redis, debug on). Production
sets DJANGO_DEBUG=0 and then must provide a real secret key and encryption key: the development
ones are refused, loudly, at start-up.
"""

import base64
import binascii
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from cobrowse_admin.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

DEV_SECRET_KEY = "dev-only-insecure-secret-key-do-not-use-in-production"
# A fixed Fernet key for development checkouts only (refused with debug off).
DEV_FIELD_ENCRYPTION_KEY = "ZGV2LW9ubHktZmllbGQta2V5LW5vdC1mb3ItcHJvZCE="

DEBUG = env_bool("DJANGO_DEBUG", True)

SECRET_KEY = env_str("DJANGO_SECRET_KEY", DEV_SECRET_KEY)
if not DEBUG and SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set to a long random value when DJANGO_DEBUG is off "
        "(the development key is refused)."
    )

FIELD_ENCRYPTION_KEY = env_str("FIELD_ENCRYPTION_KEY", DEV_FIELD_ENCRYPTION_KEY)
if not DEBUG and FIELD_ENCRYPTION_KEY == DEV_FIELD_ENCRYPTION_KEY:
    raise ImproperlyConfigured(
        "FIELD_ENCRYPTION_KEY must be set when DJANGO_DEBUG is off (the development key is refused). "
        "Make one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
    )
# Fernet's own test of a key, without importing cryptography in every process at start-up.
try:
    _key_is_fernet = len(base64.urlsafe_b64decode(FIELD_ENCRYPTION_KEY.encode())) == 32
except (binascii.Error, ValueError):
    _key_is_fernet = False
if not _key_is_fernet:
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY is not a Fernet key (32 url-safe base64-encoded bytes).")

# The key of the audit chain's HMAC (applications/audit_chain.py). Kept out of the database, so
# someone who can write to the database cannot recompute the chain after editing an event. Without
# it, a key derived from the secret key (then rotating DJANGO_SECRET_KEY breaks the verification of
# every earlier event: set this one in production and keep it).
AUDIT_CHAIN_KEY = env_str("AUDIT_CHAIN_KEY", "") or "audit-chain:" + SECRET_KEY

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "csp",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "applications",
    "security",
    "help_pages",
    "api",
    # Expiry, TLS-change and readiness notifications (email, webhooks, calendar): reads both.
    "notifications",
    # The composition of the others: the dashboard and the demo environment (seed_demo), which read
    # and write both applications and security.
    "console",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a lockout raised by the backend into a page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cobrowse_admin.urls"
WSGI_APPLICATION = "cobrowse_admin.wsgi.application"

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
                "applications.context_processors.roles",
            ],
        },
    },
]

try:
    DATABASES = {
        "default": dj_database_url.parse(
            env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
            conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0, minimum=0),
        )
    }
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL I can use: {exc}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(exist_ok=True)
    # A few editors at once on the default database must wait their turn, never get a 500
    # ("database is locked"): every transaction takes the write lock when it begins (a deferred one
    # that reads then writes cannot wait for it), a writer waits up to 20 s for another, and the
    # write-ahead log lets pages read while someone saves.
    DATABASES["default"].setdefault("OPTIONS", {}).update({
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL",
    })

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # Throttles repeated failed logins before the model backend sees them.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = 0.25  # hours: a locked-out login may try again after 15 minutes
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# Operators' sessions end after a working day, and when the browser closes.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600, minimum=60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Uploaded certificates are read in memory and kept in the database, never on disk or behind a URL.
# The "Why" of a change is mandatory for the security section and for trusted stores (forms and revert).
REQUIRE_CHANGE_NOTE_FOR_SECURITY = env_bool("REQUIRE_CHANGE_NOTE_FOR_SECURITY", False)
CERTIFICATE_UPLOAD_MAX_BYTES = env_int("CERTIFICATE_UPLOAD_MAX_BYTES", 5 * 1024 * 1024, minimum=1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = CERTIFICATE_UPLOAD_MAX_BYTES + 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.MemoryFileUploadHandler",
                        "django.core.files.uploadhandler.TemporaryFileUploadHandler"]

# Refused attempts to set a secret option without the Security officer role: after this many within
# the window, a user's next attempts are refused without a look (each one is audited, never its value).
SECRET_REFUSALS_LIMIT = env_int("SECRET_REFUSALS_LIMIT", 5, minimum=1)
SECRET_REFUSALS_WINDOW_SECONDS = env_int("SECRET_REFUSALS_WINDOW_SECONDS", 900, minimum=1)
# A previewed .cfg import waits this long for its confirmation (encrypted, in the database), then is dropped.
CFG_IMPORT_PREVIEW_SECONDS = env_int("CFG_IMPORT_PREVIEW_SECONDS", 900, minimum=30)

CERTIFICATE_EXPIRY_WARNING_DAYS = env_int("CERTIFICATE_EXPIRY_WARNING_DAYS", 30, minimum=1)

# Notifications (notifications/). The tiers: days before a certificate's effective expiry at which one
# notice goes out per channel (and one when it has expired).
try:
    from notifications.expiry import parse_tiers as _parse_tiers

    NOTIFICATION_TIERS = _parse_tiers(env_str("NOTIFICATION_TIERS", "60,30,14,7,1"))
except ValueError as exc:
    raise ImproperlyConfigured(f"NOTIFICATION_TIERS: {exc}") from None
NOTIFICATION_MAX_ATTEMPTS = env_int("NOTIFICATION_MAX_ATTEMPTS", 6, minimum=1)
NOTIFICATION_RETRY_BASE_SECONDS = env_int("NOTIFICATION_RETRY_BASE_SECONDS", 30, minimum=1)
NOTIFICATION_HTTP_TIMEOUT = env_int("NOTIFICATION_HTTP_TIMEOUT", 10, minimum=1)
# A delivery claimed this long ago and never recorded (its worker died while sending) shows as unconfirmed.
NOTIFICATION_CLAIM_TIMEOUT_SECONDS = env_int("NOTIFICATION_CLAIM_TIMEOUT_SECONDS", 600, minimum=1)
# The console's address as operators reach it: the links in notifications and the calendar.
CONSOLE_BASE_URL = env_str("CONSOLE_BASE_URL", "http://127.0.0.1:8000")
# Email through Django's SMTP backend, as Django names the settings. Without EMAIL_HOST, email channels
# are shown as not configured and their deliveries wait.
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "cobrowse-admin@localhost")
TLS_PROBE_TIMEOUT_SECONDS = env_int("TLS_PROBE_TIMEOUT_SECONDS", 5, minimum=1)
# Probe every connection through a secure port at the end of each sweep (otherwise: on demand only).
TLS_PROBE_IN_SWEEP = env_bool("TLS_PROBE_IN_SWEEP", False)
# Handshakes in flight at once when many connections are probed (a sweep, "Probe all", the API).
PROBE_CONCURRENCY = env_int("PROBE_CONCURRENCY", 64, minimum=1)
# The probe results each connection keeps (its history); older ones are deleted after each probe.
PROBE_HISTORY = env_int("PROBE_HISTORY", 20, minimum=1)

# The connection map's layout program (empty: graphviz-pure, installed by requirements.txt next to Python)
# and how long one layout may take.
GRAPHVIZ_DOT = env_str("GRAPHVIZ_DOT", "")
CONNECTION_MAP_TIMEOUT = env_int("CONNECTION_MAP_TIMEOUT", 30, minimum=1)

# The TLS policy (security.checks.policy, README "TLS policy and the compliance report"): every rule is on
# unless named in "disabled" (rule names or finding codes); "min_protocol" is the lowest sec-protocol allowed
# and "allowed_ciphers" the ciphers a cipher-list may name. Checked at start-up (security.apps): a wrong
# name or protocol stops the console with a message naming it.
TLS_POLICY = {
    "disabled": env_list("TLS_POLICY_DISABLED", []),
    "min_protocol": env_str("TLS_POLICY_MIN_PROTOCOL", "TLSv12"),
    **({"allowed_ciphers": env_list("TLS_POLICY_ALLOWED_CIPHERS", [])} if env_str("TLS_POLICY_ALLOWED_CIPHERS")
       else {}),
}

# Celery. Without REDIS_URL the tasks run in-process, so a checkout needs nothing else running.
REDIS_URL = env_str("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
# Nothing reads task results (progress and findings live in the database): do not store them.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
    # A task whose worker died unacknowledged is delivered again after this many seconds. It must
    # exceed the longest task (a sweep); a task that runs longer is delivered twice (harmless: the
    # tasks are idempotent, but wasteful).
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=1),
}
CELERY_BEAT_SCHEDULE = {
    "validate-everything": {
        "task": "security.tasks.validate_everything",
        "schedule": env_int("VALIDATION_SWEEP_SECONDS", 3600, minimum=60),
    },
    # Checks requested while the broker was unreachable (the flag stayed set): picked up soon.
    "validate-pending": {
        "task": "security.tasks.validate_pending",
        "schedule": env_int("VALIDATION_PENDING_SECONDS", 60, minimum=1),
    },
    # Notifications: evaluate what is due and send it (as manage.py send_notifications).
    "send-notifications": {
        "task": "notifications.tasks.send_notifications",
        "schedule": env_int("NOTIFICATION_SECONDS", 300, minimum=10),
    },
    # The audit page shows the last verification of the audit chain and when it ran.
    "verify-audit": {
        "task": "applications.tasks.verify_audit_chain",
        "schedule": env_int("AUDIT_VERIFY_SECONDS", 3600, minimum=60),
    },
}

# Content-Security-Policy: the pages load only our own static files; no inline script or style.
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
    },
}

# The REST API under /api/v1/ (api/__init__.py says how it is put together).
REST_FRAMEWORK = {
    # Tokens first: a 401 names the Bearer scheme. The browser's session goes with its CSRF check.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.BearerTokenAuthentication",
        "api.authentication.SessionWithCsrfAuthentication",
    ],
    # The one access table (cobrowse_admin/access.py), as for the browser's pages.
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.RouteRolePermission"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.NumberedPages",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.problems.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# Requests per API token (DRF's "number/period": s, min, hour, day); the browser's session is not throttled.
API_TOKEN_RATE = env_str("API_TOKEN_RATE", "600/min")
# The throttle's counters: in Redis when there is one, so every worker process counts the same requests.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "api_throttle": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": "api"}
        if REDIS_URL else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "api_throttle"}
    ),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Co-browse Admin API",
    "DESCRIPTION": "Everything an operator does in the browser, scriptable: the same roles, checks and "
                   "no-lost-update rule. Send `Authorization: Bearer <token>` (tokens: your profile page).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its page are for signed-in users and tokens, like every other route.
    "SERVE_PERMISSIONS": ["api.permissions.RouteRolePermission"],
    # Swagger UI from our own static files (drf-spectacular-sidecar): no CDN, and the page's CSP holds.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One name per set of choices used by several fields.
    "ENUM_NAME_OVERRIDES": {
        "AppTypeEnum": "applications.models.AppType",
        "OsTypeEnum": "applications.models.OperatingSystem",
        "AddpTraceEnum": "applications.models.AddpTrace",
        "ProtocolEnum": "applications.models.Protocol",
        "StoreProviderEnum": "security.models.Provider",
        "SweepStatusEnum": "security.models.SweepStatus",
        "NotificationEventEnum": "notifications.models.EventKind",
        "NotificationChannelKindEnum": "notifications.models.ChannelKind",
        "DeliveryStatusEnum": "notifications.models.DeliveryStatus",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_problem_responses",
    ],
}

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        # runserver's access lines, as Django writes them.
        "django.server": {"()": "django.utils.log.ServerFormatter", "format": "[{server_time}] {message}",
                          "style": "{"},
    },
    # A refused request is one line from cobrowse_admin.forbidden; Django's own records of it go.
    "filters": {"logged_forbidden": {"()": "cobrowse_admin.forbidden.DropLoggedForbidden"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "django.server": {"class": "logging.StreamHandler", "formatter": "django.server"},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Through the root handler only: Django's own console handler (with DEBUG) printed each of
        # its warnings a second time.
        "django": {"level": "INFO"},
        "django.request": {"filters": ["logged_forbidden"]},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False,
                          "filters": ["logged_forbidden"]},
        "django.db.backends": {"level": "INFO"},
        # django-axes announces itself at every start; keep its warnings (lockouts) only.
        "axes": {"level": "WARNING"},
    },
}
