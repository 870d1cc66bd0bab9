"""Settings, read from the environment in this one place (django-environ).

Embedded defaults let ``make run`` work on a machine with nothing installed:
SQLite under ``var/`` (or ``$VAR_DIR``) and a private Redis on a unix socket there, started by
``examsite.launcher``.
Production sets DEBUG off, SECRET_KEY, DATABASE_URL, REDIS_URL and ALLOWED_HOSTS.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from csp.constants import NONE, SELF

from examsite import launcher, site_url

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env") if (BASE_DIR / ".env").exists() else None
VAR_DIR = launcher.var_dir()  # $VAR_DIR or var/: the SQLite file, embedded Redis, media, static

DEBUG = env.bool("DEBUG", default=False)
if DEBUG:
    SECRET_KEY = env("SECRET_KEY", default="insecure-development-key-only-for-debug")
else:
    SECRET_KEY = env("SECRET_KEY")  # missing in production: fail loudly

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
if not DEBUG and "*" in ALLOWED_HOSTS:
    raise environ.ImproperlyConfigured("ALLOWED_HOSTS may not contain '*' in production")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The address candidates reach the site by, e.g. https://exam.example.org: links made outside a
# page's own address (the phone monitor's QR code) use it. Empty: the request's own host.
SITE_URL = env.str("SITE_URL", default="").strip().rstrip("/")
if SITE_URL and not SITE_URL.startswith(("https://", "http://")):
    raise environ.ImproperlyConfigured("SITE_URL must start with https:// (or http://)")
if not DEBUG and SITE_URL and site_url.is_loopback_url(SITE_URL):
    raise environ.ImproperlyConfigured("SITE_URL may not be a loopback address in production")

INSTALLED_APPS = [
    "daphne",
    "examsite.apps.ExamAdminConfig",  # django.contrib.admin with the organizers' TOTP login
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "import_export",
    "exams",
    "candidates",
    "proctoring",
    "support",
    "results",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files from the application itself, in development and production (examsite/static.py).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "examsite.limits.ApiBodyGuardMiddleware",
    "examsite.security_headers.ExamCSPMiddleware",
    "examsite.security_headers.NoStoreApiMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "examsite.locale.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "examsite.otp.OrganizerOTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into its 429 page
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses locked-out staff before the password check
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "examsite.urls"
ASGI_APPLICATION = "examsite.asgi.application"
WSGI_APPLICATION = None

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
            ],
        },
    },
]

VAR_DIR.mkdir(exist_ok=True)
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'exam.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env.bool("DB_POOL", default=True):
    # Under ASGI every request's sync code may run in another thread, and persistent connections
    # pile up one per thread (bench/results.md: 30+ connections from 4 clients in a second).
    # Django's advice for ASGI: no persistent connections, psycopg's pool instead. Each process
    # has its own pool; with CONN_HEALTH_CHECKS Django makes the pool check each connection it
    # hands out (after pg_terminate_backend or a PostgreSQL restart). Celery workers run without
    # it (examsite/celery.py).
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DB_POOL_MIN_SIZE", default=2),
        "max_size": env.int("DB_POOL_MAX_SIZE", default=12),
        "timeout": env.float("DB_POOL_TIMEOUT", default=10.0),  # then 503, which pages retry
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # One writer at a time: wait for the lock instead of failing at once. WAL lets the Daphne
    # processes and the worker read while one of them writes.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default=launcher.embedded_redis_url(VAR_DIR))


def celery_url(redis_url: str) -> str:
    """Celery (kombu) spells a unix-socket Redis ``redis+socket://``."""
    if redis_url.startswith("unix://"):
        return "redis+socket://" + redis_url.removeprefix("unix://")
    return redis_url


CACHES: dict[str, dict[str, Any]] = {
    "default": {
        "BACKEND": "examsite.cache.SharedRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "exam",
        "TIMEOUT": 3600,
        # One client per process (examsite/cache.py) with a bounded pool: under ASGI every request
        # runs in a thread of its own, and an unbounded pool keeps one connection per thread that
        # ever used it at once (1,955 after two cycles of 5,000 sockets, bench/results.md).
        "OPTIONS": {
            "pool_class": "redis.BlockingConnectionPool",
            "max_connections": env.int("REDIS_CACHE_MAX_CONNECTIONS", default=64),
            "timeout": 5,  # seconds to wait for a free connection; then the cache call fails
        },
    }
}
SESSION_ENGINE = "examsite.session_store"
SESSION_COOKIE_AGE = 60 * 60 * 14

CHANNEL_LAYERS: dict[str, dict[str, Any]] = {
    "default": {
        "BACKEND": "examsite.channel_layer.BoundedRedisChannelLayer",
        "CONFIG": {
            "hosts": [REDIS_URL],
            # One Daphne process holds thousands of attempt sockets: room for bursts,
            # and undelivered messages to dead sockets expire quickly.
            "capacity": 1500,
            "expiry": 30,
            "group_expiry": SESSION_COOKIE_AGE,
        },
    }
}

# Redis connections per event loop for the channel layer (examsite/channel_layer.py); the
# blocking receive holds one of them.
CHANNEL_LAYER_MAX_CONNECTIONS = env.int("CHANNEL_LAYER_MAX_CONNECTIONS", default=64)

CELERY_BROKER_URL = celery_url(env("CELERY_BROKER_URL", default=REDIS_URL))
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BEAT_MAX_LOOP_INTERVAL = 5
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
SWEEP_INTERVAL_SECONDS = env.float("SWEEP_INTERVAL_SECONDS", default=3.0)
# Phone monitor (proctoring.services.phone): how often the phone page sends heartbeats and
# snapshots, and how long a silent page may stay quiet before it counts as lost.
PHONE_HEARTBEAT_SECONDS = env.int("PHONE_HEARTBEAT_SECONDS", default=10)
PHONE_SNAPSHOT_SECONDS = env.int("PHONE_SNAPSHOT_SECONDS", default=30)
PHONE_HEARTBEAT_LOST_SECONDS = env.int("PHONE_HEARTBEAT_LOST_SECONDS", default=45)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env("STATIC_ROOT", default=str(VAR_DIR / "static"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Production: `collectstatic` writes compressed, content-hashed copies that WhiteNoise serves
    # with far-future cache headers. DEBUG: files straight from static/ and the apps (finders).
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage" if DEBUG
        else "examsite.static.HashedCompressedStaticStorage",
    },
}
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
# Evidence lives outside any public URL; served only through authorizing views.
EVIDENCE_ROOT = env("EVIDENCE_ROOT", default=str(VAR_DIR / "media"))
MEDIA_ROOT = EVIDENCE_ROOT
MEDIA_URL = None
# Production may keep evidence (photos, snapshots, recordings) in an S3-compatible bucket through
# django-storages (deploy/README.md "Evidence in an object store"): EVIDENCE_STORAGE=s3 and the
# bucket's settings. The default is the private FileSystemStorage under EVIDENCE_ROOT.
EVIDENCE_STORAGE = env("EVIDENCE_STORAGE", default="filesystem")
EVIDENCE_S3_BUCKET = env("EVIDENCE_S3_BUCKET", default="")
EVIDENCE_S3_ENDPOINT_URL = env("EVIDENCE_S3_ENDPOINT_URL", default="")
EVIDENCE_S3_REGION = env("EVIDENCE_S3_REGION", default="")
if EVIDENCE_STORAGE not in ("filesystem", "s3"):
    raise environ.ImproperlyConfigured("EVIDENCE_STORAGE must be 'filesystem' or 's3'")
if EVIDENCE_STORAGE == "s3" and not EVIDENCE_S3_BUCKET:
    raise environ.ImproperlyConfigured("EVIDENCE_STORAGE=s3 needs EVIDENCE_S3_BUCKET")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "examsite.errors.api_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Remote proctored exam API",
    # Swagger UI from our own static files, so the docs page works under the CSP.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "VERSION": "1.0.0",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAdminUser"],
    "SERVE_INCLUDE_SCHEMA": False,
    # Two choice sets are both called "kind": give each enum its own name.
    "ENUM_NAME_OVERRIDES": {
        "SessionKindEnum": "exams.models.ExamSession.KINDS",
        "QuestionKindEnum": "exams.models.Question.KINDS",
    },
}

# Admin imports (candidates, registrations) run in one transaction: a file is all or nothing.
IMPORT_EXPORT_USE_TRANSACTIONS = True

# Exam rules that are deployment policy rather than per-session data.
ANSWER_GRACE_SECONDS = env.int("ANSWER_GRACE_SECONDS", default=5)
PASSWORD_PUBLISH_BEFORE = timedelta(days=7)
# An unlock lets the candidate log in again and leave once more before the next lock.
UNLOCK_EXTRA_LEAVES = env.int("UNLOCK_EXTRA_LEAVES", default=2)

# --- Security (docs/security.md) ---------------------------------------------------------

# Candidate login throttling (exams.services.login_throttle), counted in the cache (Redis).
# Per IP every request counts: large, since an exam centre may sit behind one NAT address.
# Per password and per (password, ID number) only logins with wrong credentials count.
# An empty value turns a limit off.
LOGIN_RATE_PER_IP = env("LOGIN_RATE_PER_IP", default="300/m")
LOGIN_RATE_PER_PASSWORD = env("LOGIN_RATE_PER_PASSWORD", default="5000/m")
LOGIN_RATE_PER_ID = env("LOGIN_RATE_PER_ID", default="10/m")
# Requests running Django's middleware and view at once per process (examsite/asgi_handler.py);
# below the database pool's size, so a request in flight never waits for a connection.
HTTP_CONCURRENCY = env.int("HTTP_CONCURRENCY", default=8)
# Admission control (examsite.admission): logins served at once per process, logins waiting for
# a turn, and how long one waits before 503 login_busy with Retry-After (the page retries).
LOGIN_CONCURRENCY = env.int("LOGIN_CONCURRENCY", default=4)
LOGIN_QUEUE = env.int("LOGIN_QUEUE", default=200)
LOGIN_QUEUE_WAIT_SECONDS = env.float("LOGIN_QUEUE_WAIT_SECONDS", default=8.0)
# Days after publication during which candidates may appeal their result (results.services.appeals).
RESULTS_APPEAL_DAYS = env.int("RESULTS_APPEAL_DAYS", default=7)
ENTRY_RATE_PER_IP = env("ENTRY_RATE_PER_IP", default="300/m")
# Failed logins (not_registered, invalid_id_number) per address, counted on their own: much
# tighter than all logins per address, so enumeration is slowed while an exam centre behind
# one NAT is never slowed by its own successful logins.
LOGIN_FAILURES_PER_IP = env("LOGIN_FAILURES_PER_IP", default="20/10m")
# Behind N reverse proxies that append to X-Forwarded-For, the client is the N-th entry from
# the right (examsite.client_ip). 0: trust REMOTE_ADDR only.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Any DRF throttle that does not derive from examsite.throttling.ClientAddressThrottle still reads
# X-Forwarded-For only as deep as our own proxies (one client-address rule everywhere).
REST_FRAMEWORK["NUM_PROXIES"] = TRUSTED_PROXY_COUNT
RATELIMIT_USE_CACHE = "default"
RATELIMIT_FAIL_OPEN = True
# django_ratelimit is not in INSTALLED_APPS on purpose: only its counting functions are used,
# and its system check warns about Django's own RedisCache, which does what it needs.

# Staff login lockout (django-axes): by username and address together.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "examsite.client_ip.client_address"
AXES_LOCKOUT_TEMPLATE = "admin/axes_locked_out.html"

# TOTP two-factor for organizers (examsite.otp): on by default in production.
OTP_REQUIRED_FOR_ORGANIZERS = env.bool("OTP_REQUIRED_FOR_ORGANIZERS", default=not DEBUG)
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", default="远程考试考务后台")

# Content-Security-Policy (django-csp, examsite.security_headers).
_SOCKET_SOURCES = ["ws:", "wss:"] if DEBUG else [
    f"wss://{'*' + host if host.startswith('.') else host}" for host in ALLOWED_HOSTS
]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "media-src": [SELF, "blob:"],
        "font-src": [SELF],
        "connect-src": [SELF, *_SOCKET_SOURCES],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
    },
}
CSP_RELAXED_STYLE_PREFIXES = ["/admin/", "/api/docs/"]

# API bodies: JSON/form up to DATA_UPLOAD_MAX_MEMORY_SIZE, multipart uploads up to this.
API_MAX_UPLOAD_BYTES = env.int("API_MAX_UPLOAD_BYTES", default=8 * 1024 * 1024)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.channels.server": {"level": "WARNING"}},
}

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # The load balancer probes each backend over plain HTTP (examsite.health).
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the pages' JS sends csrftoken back in X-CSRFToken (static/js/api.js)
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
EVIDENCE_MAX_BYTES = env.int("EVIDENCE_MAX_BYTES", default=1_500_000)
# Quotas per attempt (429 throttled + Retry-After; the pages back off). 0 turns one off.
# Evidence: about 2 h of snapshots every 30 s from computer and phone at ~100 KB, with room.
EVIDENCE_MAX_BYTES_PER_ATTEMPT = env.int("EVIDENCE_MAX_BYTES_PER_ATTEMPT", default=100_000_000)
# Full-exam recording (docs/recording.md): what the pages' MediaRecorder produces and what the
# server keeps. Each chunk is a complete WebM file of RECORDING_CHUNK_SECONDS.
RECORDING_WIDTH = env.int("RECORDING_WIDTH", default=320)
RECORDING_HEIGHT = env.int("RECORDING_HEIGHT", default=240)
RECORDING_FPS = env.int("RECORDING_FPS", default=12)
RECORDING_VIDEO_BITS_PER_SECOND = env.int("RECORDING_VIDEO_BITS_PER_SECOND", default=150_000)
RECORDING_AUDIO_BITS_PER_SECOND = env.int("RECORDING_AUDIO_BITS_PER_SECOND", default=24_000)
RECORDING_CHUNK_SECONDS = env.float("RECORDING_CHUNK_SECONDS", default=10.0)
# One chunk: 10 s at ~174 kbit/s is ~220 KB; the cap leaves room for an encoder's overshoot.
RECORDING_CHUNK_MAX_BYTES = env.int("RECORDING_CHUNK_MAX_BYTES", default=1_500_000)
# Per attempt and stream kind together: ~4 h of both streams at the default bitrates (0: no cap).
RECORDING_MAX_BYTES_PER_ATTEMPT = env.int("RECORDING_MAX_BYTES_PER_ATTEMPT", default=700_000_000)
# The page's IndexedDB queue of chunks not yet uploaded; the oldest are dropped beyond it.
RECORDING_QUEUE_MAX_BYTES = env.int("RECORDING_QUEUE_MAX_BYTES", default=60_000_000)
EVENTS_PER_ATTEMPT_PER_MINUTE = env.int("EVENTS_PER_ATTEMPT_PER_MINUTE", default=120)
# Staff sockets (monitor, support queue) close at logout at once, and within this many seconds
# when the staff session ends otherwise (examsite.staff_sockets).
STAFF_SOCKET_RECHECK_SECONDS = env.int("STAFF_SOCKET_RECHECK_SECONDS", default=60)
