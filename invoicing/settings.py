"""One settings module, read from the environment.

`DATABASE_URL` and `REDIS_URL` name the services (``make run`` / ``make test`` start embedded
ones and set them when they are not given). `SECRET_KEY` is required when `DEBUG` is off, and
the defaults are the safe production ones: ``manage.py check --deploy`` is clean with
``DEBUG=0`` and a real secret.
"""

import datetime as dt
import os
from pathlib import Path

import dj_database_url
import pghistory
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(int(default))).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-change-me-0123456789-abcdefghijklmnopqrstuvwxyz"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_fsm",
    "pgtrigger",
    "pghistory",
    "csp",
    "django_htmx",
    "axes",
    # Ours, bottom layer first: invoicing -> actuals -> ledger -> contracts.
    "contracts",
    "ledger",
    "actuals",
    "invoicing",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: every change made in a request records its user and URL in the
    # history (pghistory); a DRF token user is picked up when DRF sets request.user.
    "pghistory.middleware.HistoryMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # A mutating API call's Idempotency-Key: the first answer again, nothing run twice
    # (contracts.idempotency). After authentication; inside the others, so a replayed answer
    # gets their headers like any other.
    "contracts.idempotency.IdempotencyMiddleware",
    # Last: answers a locked-out login (contracts.lockout).
    "axes.middleware.AxesMiddleware",
]

# Login throttling on every door (portal, admin, API token): after AXES_FAILURE_LIMIT wrong
# passwords for one username from one address, that pair is refused for AXES_COOLOFF_TIME, with
# HTTP 429 and a message (JSON under /api/); a right password resets the count. An
# administrator unlocks early with `manage.py axes_reset_username <name>`.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "contracts.lockout.lockout_response"

ROOT_URLCONF = "invoicing.urls"
WSGI_APPLICATION = "invoicing.wsgi.application"

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
                "contracts.roles.role_context",
            ],
        },
    },
]

# PostgreSQL only, everywhere: tests, demo and production behave alike.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if not DATABASE_URL:
    raise ImproperlyConfigured(
        "DATABASE_URL is not set. Use `make run` / `make test`, which start an embedded "
        "PostgreSQL when none is given, or point DATABASE_URL at a PostgreSQL server."
    )
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
}
if os.environ.get("TEST_DATABASE_NAME"):
    # Lets parallel test runs on one server keep apart (default: test_<name>).
    DATABASES["default"]["TEST"] = {"NAME": os.environ["TEST_DATABASE_NAME"]}
if not DATABASES["default"]["ENGINE"].endswith("postgresql"):
    raise ImproperlyConfigured(
        "The product runs on PostgreSQL only; DATABASE_URL must be postgres://…"
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Internationalisation: English and Dutch; the user picks, amounts are formatted per language.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("nl", _("Dutch"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates and numbers per language (invoicing/formats/: Dutch 02-03-2026 and 1.234,56). Thousand
# separators come from the |amount filter, not USE_THOUSAND_SEPARATOR (ids and years stay ungrouped).
FORMAT_MODULE_PATH = ["invoicing.formats"]
# The language the user picked (/i18n/setlang/) sticks for a year, also after logging out.
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Amsterdam")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))
MEDIA_URL = "media/"

# Security headers. A strict Content-Security-Policy: no inline scripts, nothing from elsewhere.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
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

# REST API (v1). Errors are JSON: {"detail": ..., "errors": {field: [reason]}}.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "COERCE_DECIMAL_TO_STRING": True,
    "EXCEPTION_HANDLER": "contracts.api_errors.exception_handler",
    # JSON nested too deep is a 400, not a 500 (contracts.api_parsers.JSONParser).
    "DEFAULT_PARSER_CLASSES": [
        "contracts.api_parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Project invoicing API",
    "DESCRIPTION": "Approved hours and expenses to posted customer invoices. Amounts are decimal strings.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # The Idempotency-Key header on every mutating operation (after drf-spectacular's own hook).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "contracts.idempotency.document_idempotency_key",
    ],
    # Swagger UI served from our own static files (no CDN).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "status" field with their own choices: name each enum.
    "ENUM_NAME_OVERRIDES": {
        "ContractStatusEnum": "contracts.models.ContractStatus",
        "ScheduleStatusEnum": "contracts.models.ScheduleStatus",
        "MilestoneStatusEnum": "contracts.models.MilestoneStatus",
        "EntryStatusEnum": "actuals.models.EntryStatus",
        "InvoiceStatusEnum": "invoicing.models.InvoiceStatus",
        "InvoiceRunStatusEnum": "invoicing.models.RunStatus",
        # One name for the class choices, whether a field holds one class or a list of them.
        "TransactionClassEnum": "contracts.models.TransactionClass",
    },
}

# Celery: Redis broker; the nightly invoice run at 02:00 Europe/Amsterdam by default.
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TIMEZONE = TIME_ZONE
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Acknowledged late, redelivered after a worker died: see "Faults that heal" below.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task sent from a request tries the broker for about a second, not Celery's default of
# three retries over some twenty: a queue that is down fails the job at once (contracts.queueing).
_QUICK_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5}
CELERY_TASK_PUBLISH_RETRY_POLICY = _QUICK_RETRY
# Sending a task also subscribes to its result in Redis: that gives up as quickly (measured with
# Redis stopped: 19 s before, about a second now). Nothing waits on task results.
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"retry_policy": _QUICK_RETRY}
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / "var" / "celerybeat-schedule")
INVOICE_RUN_HOUR = int(os.environ.get("INVOICE_RUN_HOUR", "2"))
INVOICE_RUN_MINUTE = int(os.environ.get("INVOICE_RUN_MINUTE", "0"))
#: Periodic work: the nightly invoice run (02:00 Europe/Amsterdam by default).
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "nightly-invoice-run": {
        "task": "invoicing.tasks.nightly_invoice_run",
        "schedule": crontab(hour=INVOICE_RUN_HOUR, minute=INVOICE_RUN_MINUTE),
    },
    # Runs, posting batches and journal jobs whose worker died are marked failed, with the reason.
    "fail-stalled-jobs": {
        "task": "invoicing.tasks.fail_stalled_jobs",
        "schedule": crontab(minute="*/5"),
    },
    # Approved actuals into the integration journal, hourly (idempotent: nothing twice).
    "import-actuals-to-journal": {
        "task": "actuals.tasks.import_actuals_to_journal",
        "schedule": crontab(minute=int(os.environ.get("JOURNAL_IMPORT_MINUTE", "15"))),
    },
    # The API's Idempotency-Key rows older than 24 hours (contracts.idempotency), hourly.
    "purge-idempotency-keys": {
        "task": "contracts.tasks.purge_idempotency_keys",
        "schedule": crontab(minute=45),
    },
}

# History (django-pghistory): every event table is append-only (a Protect trigger refuses UPDATE
# and DELETE), and the context (who, from which URL or task) is stored in the event row itself,
# not in a shared context table that could be rewritten later: the row is sealed as a whole.
PGHISTORY_APPEND_ONLY = True
PGHISTORY_CONTEXT_FIELD = pghistory.ContextJSONField()
# A GET changes nothing worth a context (and would only add a statement prefix).
PGHISTORY_MIDDLEWARE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # WeasyPrint logs nine "Step n" lines per printed invoice at INFO; its warnings still show.
    "loggers": {"weasyprint.progress": {"level": "WARNING"}},
}

# Product settings (documented in README).
#: Legal-entity defaults for demo data and the printed invoice live in the database (LegalEntity).
#: Item sales tax group (code) of milestones and manual fees on invoices.
MILESTONE_ITEM_SALES_TAX_GROUP = os.environ.get("MILESTONE_ITEM_SALES_TAX_GROUP", "SERVICES")
#: Contracts billed per transaction in an invoice run (a failing batch is retried per contract);
#: each batch is one task, so every worker takes batches side by side.
INVOICE_RUN_BATCH = int(os.environ.get("INVOICE_RUN_BATCH", "100"))
#: A running invoice run or posting batch without progress for this long is marked failed.
JOB_STALLED_AFTER_MINUTES = int(os.environ.get("JOB_STALLED_AFTER_MINUTES", "10"))

# Faults that heal: a task is acknowledged when it has finished, not when a worker took it, so
# the work of a worker that dies is done again by another one. Every task may therefore be
# delivered twice: a run is planned once and a batch billed once counts once (both heal: the
# redelivered batch bills what the dead worker rolled back); a journal job is claimed once
# (``claimed_at``: a second delivery does nothing, also after its worker died, so such a job
# is failed by the stall detector and started again by hand).
# - A worker process that dies under a running task (killed, out of memory) has its task put
#   back on the queue at once (REJECT_ON_WORKER_LOST) instead of acknowledged as failed. A task
#   that kills its own process every time is not retried for ever: its job stops making
#   progress, the stall detector fails it, and a job that is not running does nothing more.
# - A whole worker killed outright (SIGKILL, a lost machine) acknowledges nothing and puts
#   nothing back: its message waits, unacknowledged, in Redis (kombu's ``unacked`` hash) until a
#   running worker's sweep finds it older than the visibility timeout and queues it again.
#   TASK_VISIBILITY_TIMEOUT (seconds) is fit to the run time: far longer than one task (a batch
#   of an invoice run takes well under a minute at a firm's volume, README's benchmarks) and
#   SHORTER than the stall window, by default half of it (300 s of 600), so the batch is billed
#   by another worker and the run finishes before the beat task would mark it failed
#   (worst case: timeout + one sweep + the batch, 300 + 30 + < 60 s, well inside 600 s). The
#   sweep runs every tenth of the timeout (kombu's default is every 100 s, a third of the
#   window); its mutex expires as soon, so a worker killed in the middle of a sweep holds up
#   the next one for that long only. A task still running after the timeout is delivered a
#   second time while the first runs: harmless for runs and journal jobs (see above). Not yet
#   for *post selected* (``run_posting_batch`` is not claimed once): a batch that posts for
#   longer than the timeout (thousands of invoices) is worked by two workers; each invoice is
#   still posted once (it is locked and must be confirmed), but the second worker counts the
#   ones the first posted as failed.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
TASK_VISIBILITY_TIMEOUT = int(
    os.environ.get("TASK_VISIBILITY_TIMEOUT", str(JOB_STALLED_AFTER_MINUTES * 60 // 2))
)
if not 0 < TASK_VISIBILITY_TIMEOUT < JOB_STALLED_AFTER_MINUTES * 60:
    raise ImproperlyConfigured(
        "TASK_VISIBILITY_TIMEOUT must be more than 0 and less than JOB_STALLED_AFTER_MINUTES "
        "in seconds: a killed worker's task must be redelivered before its job is failed."
    )
_RESTORE_EVERY = max(1, TASK_VISIBILITY_TIMEOUT // 10)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": TASK_VISIBILITY_TIMEOUT,
    "unacked_restore_interval": _RESTORE_EVERY,
    "unacked_restore_throttle": 1,
    "unacked_mutex_expire": _RESTORE_EVERY,
}
FUTURE_ENTRY_DAYS = int(os.environ.get("FUTURE_ENTRY_DAYS", "7"))
RECEIPT_MAX_BYTES = int(os.environ.get("RECEIPT_MAX_BYTES", str(5 * 1024 * 1024)))
#: Integration journals group imported actuals per legal entity by "day" or "month".
JOURNAL_GROUPING = os.environ.get("JOURNAL_GROUPING", "month")
#: Posting an invoice whose accounting date lies in a closed period: refused (False), or moved
#: to the first day of the next open period (True).
POST_INTO_NEXT_OPEN_PERIOD = env_bool("POST_INTO_NEXT_OPEN_PERIOD", False)
