"""envgrid settings: one module, driven by environment variables (see README)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ENVGRID_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("ENVGRID_DEBUG", False)
# A fixed development key is only acceptable with DEBUG or in tests; production must set it.
SECRET_KEY = os.environ.get("ENVGRID_SECRET_KEY", "envgrid-insecure-development-key-change-me")
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("ENVGRID_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("ENVGRID_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    # The task queue (docs/decisions/0018-task-queue.md): `manage.py run_huey`.
    "huey.contrib.djhuey",
    # Domain apps, in dependency order (STYLE.md: dependencies point down).
    "envgrid.core",
    "envgrid.org",
    "envgrid.obligations",
    "envgrid.grids",
    "envgrid.entities",
    "envgrid.cases",
    "envgrid.accountability",
    "envgrid.meetings",
    "envgrid.enforcement",
    "envgrid.patrols",
    "envgrid.reporting",
    "envgrid.disclosure",
    "envgrid.assessment",
    "envgrid.security",
    "envgrid.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "envgrid.security.middleware.SecurityHeadersMiddleware",
    "envgrid.security.middleware.RejectNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "envgrid.core.middleware.PagesChineseByDefaultLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Control characters in form fields refused (issue 16; envgrid.core.parsers).
    "envgrid.core.parsers.InputGuardMiddleware",
    "envgrid.security.middleware.SessionSecurityMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "envgrid.core.middleware.AdminOnlyMiddleware",
    # A GET on a POST-only page: the 405 error page, not an empty answer (issue 20).
    "envgrid.core.error_views.MethodNotAllowedPageMiddleware",
    # Last, as django-axes asks: turns a locked login into its lockout page.
    "axes.middleware.AxesMiddleware",
    # List/export/overview GETs may read the replica; writers read their own writes.
    "envgrid.core.db_router.ReplicaReadsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "envgrid" / "web" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "envgrid.web.context.shell",
            ],
        },
    }
]

# Every form on the staff pages is laid out by one set of templates (issue 20, part 1).
FORM_RENDERER = "envgrid.web.forms.EnvgridFormRenderer"

# SQLite is the embedded default; DATABASE_URL switches to PostgreSQL.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'envgrid.sqlite3'}"),
        conn_max_age=int(os.environ.get("ENVGRID_DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the sweep and the web server write without "database is locked" errors.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
# A streaming read replica (docs/scaling.md §2, envgrid.core.db_router): list pages, list
# APIs, exports and the overview read from it; writes, transactions, policy checks before a
# write and the grid index version stay on the primary. A session or user that has just
# written reads the primary for ENVGRID_REPLICA_STICKY_SECONDS (read-your-writes). In tests
# the alias mirrors the primary's test database (the replica tests repoint it at the standby).
ENVGRID_REPLICA_STICKY_SECONDS = float(os.environ.get("ENVGRID_REPLICA_STICKY_SECONDS", "5"))
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL and DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL,
        conn_max_age=int(os.environ.get("ENVGRID_DB_CONN_MAX_AGE", "60")),
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["envgrid.core.db_router.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Sessions end after a working day at most, when the browser closes, and after
# ENVGRID_SESSION_IDLE_SECONDS without a request (envgrid.security.middleware).
SESSION_COOKIE_AGE = int(os.environ.get("ENVGRID_SESSION_SECONDS", str(8 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
ENVGRID_SESSION_IDLE_SECONDS = int(os.environ.get("ENVGRID_SESSION_IDLE_SECONDS", "1800"))

# The client's address (envgrid.core.clientaddr.client_ip), for the login lockout, the
# public rate limits and the audit log: ENVGRID_TRUSTED_PROXIES is the number of reverse
# proxies in front of the application ("1" for the README's nginx) or their networks
# ("127.0.0.1/32,10.0.0.0/8"); unset, X-Forwarded-For is ignored. ENVGRID_PROXY_COUNT is
# the older name of the count and is still read.
ENVGRID_TRUSTED_PROXIES = os.environ.get(
    "ENVGRID_TRUSTED_PROXIES", os.environ.get("ENVGRID_PROXY_COUNT", "")
)

# Login throttling (django-axes plus envgrid.security.throttle), all within the cool-off:
# - AXES_FAILURE_LIMIT wrong passwords for one username from one address lock that pair;
# - ENVGRID_LOGIN_ADDRESS_FAILURE_LIMIT failures from one address, whatever the usernames,
#   lock that address (password spraying);
# - ENVGRID_LOGIN_ACCOUNT_FAILURE_LIMIT failures for one username from all addresses slow
#   that account down: one attempt per ENVGRID_LOGIN_ACCOUNT_DELAY_SECONDS from an address
#   the user has not logged in from lately. So nobody elsewhere can lock a user out for
#   longer than that delay. Logins without a request (management commands) bypass it in
#   envgrid.security.backends.
AUTHENTICATION_BACKENDS = [
    "envgrid.security.backends.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("ENVGRID_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("ENVGRID_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Failures are forgiven on a complete login (password and, where enabled, the TOTP code:
# envgrid.security.services.login_complete), not on the password alone.
AXES_RESET_ON_SUCCESS = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_CALLABLE = "envgrid.security.views.lockout_response"
AXES_CLIENT_IP_CALLABLE = "envgrid.core.clientaddr.client_ip"
AXES_VERBOSE = False
ENVGRID_LOGIN_ADDRESS_FAILURE_LIMIT = int(
    os.environ.get("ENVGRID_LOGIN_ADDRESS_FAILURE_LIMIT", "20")
)
ENVGRID_LOGIN_ACCOUNT_FAILURE_LIMIT = int(
    os.environ.get("ENVGRID_LOGIN_ACCOUNT_FAILURE_LIMIT", "10")
)
ENVGRID_LOGIN_ACCOUNT_DELAY_SECONDS = int(
    os.environ.get("ENVGRID_LOGIN_ACCOUNT_DELAY_SECONDS", "30")
)
# An address the user logged in from within this many days is theirs: the per-account
# delay does not apply there.
ENVGRID_LOGIN_KNOWN_ADDRESS_DAYS = int(os.environ.get("ENVGRID_LOGIN_KNOWN_ADDRESS_DAYS", "30"))
# API tokens (envgrid.security.tokens): their lifetime, and how often a token's use is
# audited when neither it is new nor its client address changed.
ENVGRID_TOKEN_HOURS = float(os.environ.get("ENVGRID_TOKEN_HOURS", "12"))
ENVGRID_TOKEN_USE_AUDIT_SECONDS = int(os.environ.get("ENVGRID_TOKEN_USE_AUDIT_SECONDS", "300"))

# One cache shared by every worker process, so the public rate limits (and anything else
# that must agree across processes) count once: the database cache by default
# (`manage.py createcachetable` after `migrate`), Redis when ENVGRID_REDIS_URL is set
# (e.g. redis://127.0.0.1:6379/0).
ENVGRID_REDIS_URL = os.environ.get("ENVGRID_REDIS_URL", "")
if ENVGRID_REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": ENVGRID_REDIS_URL,
            "KEY_PREFIX": "envgrid",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "envgrid_cache",
        }
    }

# Background work (docs/decisions/0018-task-queue.md): Huey. Redis when
# ENVGRID_TASK_REDIS_URL is set (e.g. redis://127.0.0.1:6379/1), else a SQLite file under
# the var/ directory, so `make run` needs no extra server. ENVGRID_TASKS_IMMEDIATE runs
# every task inline in the caller (the test suite sets it in the root conftest.py).
ENVGRID_TASK_REDIS_URL = os.environ.get("ENVGRID_TASK_REDIS_URL", "")
ENVGRID_TASK_SQLITE_PATH = os.environ.get(
    "ENVGRID_TASK_SQLITE_PATH", str(VAR_DIR / "tasks.sqlite3")
)
ENVGRID_TASKS_IMMEDIATE = env_bool("ENVGRID_TASKS_IMMEDIATE", False)
# A running job whose heartbeat is older than this is taken for dead (its worker killed):
# the reaper re-enqueues it, or after ENVGRID_JOB_MAX_ATTEMPTS attempts marks it failed.
ENVGRID_JOB_STALE_SECONDS = int(os.environ.get("ENVGRID_JOB_STALE_SECONDS", "300"))
ENVGRID_JOB_MAX_ATTEMPTS = int(os.environ.get("ENVGRID_JOB_MAX_ATTEMPTS", "3"))
ENVGRID_TASK_WORKERS = int(os.environ.get("ENVGRID_TASK_WORKERS", "2"))
HUEY = {
    "name": "envgrid",
    "immediate": ENVGRID_TASKS_IMMEDIATE,
    "utc": True,
    "consumer": {
        "workers": ENVGRID_TASK_WORKERS,
        "worker_type": "thread",
        "periodic": True,
        "check_worker_health": True,
    },
}
if ENVGRID_TASK_REDIS_URL:
    HUEY.update({"huey_class": "huey.RedisHuey", "url": ENVGRID_TASK_REDIS_URL})
else:
    Path(ENVGRID_TASK_SQLITE_PATH).parent.mkdir(parents=True, exist_ok=True)
    HUEY.update({"huey_class": "huey.SqliteHuey", "filename": ENVGRID_TASK_SQLITE_PATH})

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Leaflet for the grid maps, served from the xstatic-leaflet package (no CDN).
import xstatic.pkg.leaflet as _xstatic_leaflet  # noqa: E402

STATICFILES_DIRS = [("leaflet", _xstatic_leaflet.BASE_DIR)]
STATIC_ROOT = Path(os.environ.get("ENVGRID_STATIC_ROOT", VAR_DIR / "static"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Uploaded evidence lives outside the web root and is served only through views
# that check the caller may see the object it belongs to (never by MEDIA_URL).
MEDIA_ROOT = Path(os.environ.get("ENVGRID_MEDIA_ROOT", VAR_DIR / "media"))
FILE_UPLOAD_MAX_BYTES = int(os.environ.get("ENVGRID_UPLOAD_MAX_BYTES", str(20 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 30 * 1024 * 1024
# One size setting family for uploads (core.uploads, docs/api.md "Uploads"): the limit above
# for everything, narrowed per purpose by ENVGRID_UPLOAD_MAX_BYTES_<PURPOSE> (e.g.
# ENVGRID_UPLOAD_MAX_BYTES_PATROL_PHOTO=10485760). Purposes not set use their default.
ENVGRID_UPLOAD_MAX_BYTES_BY_PURPOSE = {
    purpose: int(os.environ[f"ENVGRID_UPLOAD_MAX_BYTES_{purpose.upper()}"])
    for purpose in (
        "case_evidence",
        "assessment_evidence",
        "inspection_photo",
        "patrol_photo",
        "petition_photo",
        "document",
    )
    if os.environ.get(f"ENVGRID_UPLOAD_MAX_BYTES_{purpose.upper()}")
}

# Hostile input (issue 16, docs/security.md "Hostile input"): uploads are size-checked
# while they stream (a request over ENVGRID_UPLOAD_MAX_REQUEST_BYTES is refused before it
# is read, a file over FILE_UPLOAD_MAX_BYTES as soon as that much has arrived); files
# larger than FILE_UPLOAD_MAX_MEMORY_SIZE go to a temporary file, not memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = int(2.5 * 1024 * 1024)
FILE_UPLOAD_HANDLERS = [
    "envgrid.core.upload_limits.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
ENVGRID_UPLOAD_MAX_REQUEST_BYTES = int(
    os.environ.get("ENVGRID_UPLOAD_MAX_REQUEST_BYTES", str(5 * FILE_UPLOAD_MAX_BYTES))
)
# Import files (entities, emissions, grids, tracks) and the limits of their parsing
# child process (envgrid.core.safeparse).
ENVGRID_IMPORT_MAX_BYTES = int(
    os.environ.get("ENVGRID_IMPORT_MAX_BYTES", str(FILE_UPLOAD_MAX_BYTES))
)
ENVGRID_PARSE_MAX_MEMORY = int(os.environ.get("ENVGRID_PARSE_MAX_MEMORY", str(768 * 1024 * 1024)))
ENVGRID_PARSE_TIMEOUT = int(os.environ.get("ENVGRID_PARSE_TIMEOUT", "60"))
ENVGRID_XLSX_MAX_ROWS = int(os.environ.get("ENVGRID_XLSX_MAX_ROWS", "200000"))
ENVGRID_XLSX_MAX_COLS = int(os.environ.get("ENVGRID_XLSX_MAX_COLS", "100"))
ENVGRID_XLSX_MAX_CELLS = int(os.environ.get("ENVGRID_XLSX_MAX_CELLS", "4000000"))
ENVGRID_XLSX_MAX_XML_BYTES = int(
    os.environ.get("ENVGRID_XLSX_MAX_XML_BYTES", str(400 * 1024 * 1024))
)

EMAIL_BACKEND = os.environ.get(
    "ENVGRID_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
ENVGRID_EMAIL_ENABLED = env_bool("ENVGRID_EMAIL_ENABLED", False)
DEFAULT_FROM_EMAIL = os.environ.get("ENVGRID_FROM_EMAIL", "envgrid@localhost")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        # Expiring, revocable tokens (envgrid.security.tokens), not DRF's authtoken.
        "envgrid.security.auth.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["envgrid.core.permissions.ObjectInScope"],
    "DEFAULT_PAGINATION_CLASS": "envgrid.core.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "envgrid.core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "envgrid.core.api.exception_handler",
    # JSON bodies: depth, encoding, control characters and size refused as 4xx (issue 16).
    "DEFAULT_PARSER_CLASSES": [
        "envgrid.core.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] = [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ]

SPECTACULAR_SETTINGS = {
    "TITLE": "envgrid API",
    "DESCRIPTION": "网格化环境监管体系 — gridded environmental supervision API",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Every choice set named after its class: without this, fields called "status" or
    # "kind" in several apps collide and get hashed names (drf_spectacular.W001), which
    # `check --deploy` reports and which change whenever a choice is added.
    "ENUM_NAME_OVERRIDES": {
        "DelegationScopeEnum": "envgrid.org.models.DelegationScope",
        "AssessmentStatusEnum": "envgrid.assessment.models.AssessmentStatus",
        "EvaluationStatusEnum": "envgrid.assessment.models.EvaluationStatus",
        "GradeEnum": "envgrid.assessment.models.Grade",
        "IndicatorCategoryEnum": "envgrid.assessment.models.IndicatorCategory",
        "IndicatorSourceEnum": "envgrid.assessment.models.IndicatorSource",
        "ObjectionStatusEnum": "envgrid.assessment.models.ObjectionStatus",
        "PlanStatusEnum": "envgrid.assessment.models.PlanStatus",
        "WhenEmptyEnum": "envgrid.assessment.models.WhenEmpty",
        "AccountabilityDecisionEnum": "envgrid.accountability.models.AccountabilityDecision",
        "ConsequenceLevelEnum": "envgrid.accountability.models.ConsequenceLevel",
        "ProposalStatusEnum": "envgrid.accountability.models.ProposalStatus",
        "CaseOutcomeEnum": "envgrid.cases.models.CaseOutcome",
        "CaseSourceEnum": "envgrid.cases.models.CaseSource",
        "CaseStatusEnum": "envgrid.cases.models.CaseStatus",
        "CriminalDecisionEnum": "envgrid.cases.models.CriminalDecision",
        "DisputeStatusEnum": "envgrid.cases.models.DisputeStatus",
        "TransferStatusEnum": "envgrid.cases.models.TransferStatus",
        "TransferStepEnum": "envgrid.cases.models.TransferStep",
        "TransferTypeEnum": "envgrid.cases.models.TransferType",
        "EmissionMeasureEnum": "envgrid.disclosure.models.EmissionMeasure",
        "HazardKindEnum": "envgrid.disclosure.models.HazardKind",
        "HazardLevelEnum": "envgrid.disclosure.models.HazardLevel",
        "HazardStatusEnum": "envgrid.disclosure.models.HazardStatus",
        "PetitionCategoryEnum": "envgrid.disclosure.models.PetitionCategory",
        "PetitionSourceEnum": "envgrid.disclosure.models.PetitionSource",
        "PetitionStatusEnum": "envgrid.disclosure.models.PetitionStatus",
        "PublicationKindEnum": "envgrid.disclosure.models.PublicationKind",
        "PublicationStatusEnum": "envgrid.disclosure.models.PublicationStatus",
        "ActionCategoryEnum": "envgrid.enforcement.models.ActionCategory",
        "ActionModeEnum": "envgrid.enforcement.models.ActionMode",
        "ActionStatusEnum": "envgrid.enforcement.models.ActionStatus",
        "AssignmentStatusEnum": "envgrid.enforcement.models.AssignmentStatus",
        "CampaignLevelEnum": "envgrid.enforcement.models.CampaignLevel",
        "FindingStatusEnum": "envgrid.enforcement.models.FindingStatus",
        "IncidentLevelEnum": "envgrid.enforcement.models.IncidentLevel",
        "IncidentTypeEnum": "envgrid.enforcement.models.IncidentType",
        "ParticipantRoleEnum": "envgrid.enforcement.models.ParticipantRole",
        "ConsultationFormEnum": "envgrid.enforcement.models.ConsultationForm",
        "EntityCategoryEnum": "envgrid.entities.models.EntityCategory",
        "EntityStatusEnum": "envgrid.entities.models.EntityStatus",
        "ImportJobStatusEnum": "envgrid.entities.models.ImportJobStatus",
        "GridRoleEnum": "envgrid.grids.models.GridRole",
        "HistoryKindEnum": "envgrid.grids.models.HistoryKind",
        "RuleKindEnum": "envgrid.core.deadlines.RuleKind",
        "AgendaKindEnum": "envgrid.meetings.models.AgendaKind",
        "AttendanceEnum": "envgrid.meetings.models.Attendance",
        "DecisionStatusEnum": "envgrid.meetings.models.DecisionStatus",
        "MeetingScopeEnum": "envgrid.meetings.models.MeetingScope",
        "MeetingStatusEnum": "envgrid.meetings.models.MeetingStatus",
        "ParticipantSourceEnum": "envgrid.meetings.models.ParticipantSource",
        "ProblemKindEnum": "envgrid.meetings.models.ProblemKind",
        "ReportIntervalEnum": "envgrid.meetings.models.ReportInterval",
        "ObligationStatusEnum": "envgrid.obligations.models.ObligationStatus",
        "SupervisionStatusEnum": "envgrid.obligations.models.SupervisionStatus",
        "PersonRoleEnum": "envgrid.org.models.PersonRole",
        "UnitKindEnum": "envgrid.org.models.UnitKind",
        "TrainingKindEnum": "envgrid.org.models.TrainingKind",
        "TrainingResultEnum": "envgrid.org.models.TrainingResult",
        "CheckResultEnum": "envgrid.patrols.models.CheckResult",
        "PatrolStatusEnum": "envgrid.patrols.models.PatrolStatus",
        "FrequencyEnum": "envgrid.reporting.models.Frequency",
        "ReportStatusEnum": "envgrid.reporting.models.ReportStatus",
        "ReportTypeEnum": "envgrid.reporting.models.ReportType",
    },
}

# Base map: blank by default so the map works offline; set a tile URL template to use one.
ENVGRID_TILE_URL = os.environ.get("ENVGRID_TILE_URL", "")
ENVGRID_TILE_ATTRIBUTION = os.environ.get("ENVGRID_TILE_ATTRIBUTION", "")
# Interval of the built-in periodic sweep that `make run` starts beside the web server.
ENVGRID_SWEEP_SECONDS = int(os.environ.get("ENVGRID_SWEEP_SECONDS", "300"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("ENVGRID_LOG_LEVEL", "INFO")},
}

# Content-Security-Policy (envgrid.security.middleware): everything from this origin only.
# No inline script runs: page behaviour lives in static files (web/envgrid.js handles
# data-autosubmit, data-confirm and data-back), Swagger UI loads its init script as a file
# (SpectacularSwaggerSplitView). Inline styles are still allowed (style attributes and
# Swagger UI's <style>). A configured tile server is the one outside image source.
_tile_origin = ""
if ENVGRID_TILE_URL:
    _tile = urlsplit(ENVGRID_TILE_URL.replace("{s}", "*"))
    _tile_origin = f" {_tile.scheme}://{_tile.netloc}" if _tile.netloc else ""
ENVGRID_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        f"img-src 'self' data: blob:{_tile_origin}",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
ENVGRID_PERMISSIONS_POLICY = "camera=(), microphone=(), payment=(), usb=(), geolocation=(self)"

if not DEBUG:
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"
    SECURE_REFERRER_POLICY = "same-origin"
    SESSION_COOKIE_HTTPONLY = True
if env_bool("ENVGRID_HTTPS", False):
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

ENVGRID_SYNTHETIC_BANNER = _("演示数据均为合成数据，不涉及真实人员")
