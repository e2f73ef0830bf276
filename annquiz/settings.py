"""annquiz settings: one file, every knob from the environment with a safe default.

Embedded defaults (no environment at all): SQLite in ``var/`` and the Redis server that
``manage.py serve`` starts itself on a private unix socket in ``var/``. Set ``DATABASE_URL``
and ``REDIS_URL`` to use PostgreSQL and an external Redis.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ANNQUIZ_VAR_DIR", BASE_DIR / "var"))


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean: use true or false")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from None


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)


def secret_key_from_var_dir(var_dir: Path) -> str:
    """This installation's own secret key: made once, kept in ``var_dir/secret_key`` (0600).

    No installation runs on a key that is published in the source. Deployments with several
    web hosts set ``SECRET_KEY`` instead, so that all of them share one key.
    """
    key_file = var_dir / "secret_key"
    try:
        return key_file.read_text().strip()
    except FileNotFoundError:
        pass
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    try:
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return key_file.read_text().strip()
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key)
    return key


SECRET_KEY = os.environ.get("SECRET_KEY", "") or secret_key_from_var_dir(VAR_DIR)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "annquiz.core",
    "annquiz.accounts",
    "annquiz.courses",
    "annquiz.coding",
    "annquiz.enrolment",
    "annquiz.dashboards",
    "annquiz.review",
    "annquiz.gradebook",
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
    # Last: turns a log-in refused by the lockout below into its 429 response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "annquiz.urls"
WSGI_APPLICATION = "annquiz.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "annquiz" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Connections persist (DATABASE_CONN_MAX_AGE seconds), one per gunicorn worker thread.
# Health checks (a "SELECT 1" before a request's first query) cost a round trip per request,
# but a connection the database dropped meanwhile (a restart, a terminated backend) is
# replaced instead of failing the request with a 500.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'annquiz.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=env_bool("DATABASE_HEALTH_CHECKS", True),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool(
    "DATABASE_PREPARED_STATEMENTS", True
):
    # Server-side parameter binding, and psycopg preparing a statement once a connection has
    # run it 5 times (Django turns preparing off unless told): PostgreSQL then skips parsing
    # and planning the statements every request repeats (the session, user and page-version
    # reads of a lesson page), which measured 1.2 -> 0.3 ms of its CPU per lesson page and
    # 2.8 -> 1.5 ms per answer. Off for a connection pooler in transaction mode.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"server_side_binding": True, "prepare_threshold": 5}
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default has web threads and worker processes writing one file at once.
    # WAL lets readers go on while one writes; a writer waits up to SQLITE_BUSY_TIMEOUT
    # seconds for the lock instead of failing at once; and every transaction takes the write
    # lock when it begins (IMMEDIATE), since a transaction that read first and then wants to
    # write cannot wait for the lock: SQLite fails it at once with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL",
            "timeout": env_int("SQLITE_BUSY_TIMEOUT", 20),
            "transaction_mode": "IMMEDIATE",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "courses:course-list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "annquiz" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Caches are local to each process. "lesson_pages" holds rendered lesson pages
# (courses/lesson_cache.py), keyed on a version each request reads from the database, so
# every gunicorn worker serves the current page; an entry is a page of some 25 kB.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "lesson_pages": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "annquiz-lesson-pages",
        "TIMEOUT": 3600,
        "OPTIONS": {"MAX_ENTRIES": env_int("ANNQUIZ_LESSON_PAGE_CACHE_ENTRIES", 3000)},
    },
}

# Sessions stay in the database, although that costs a query per page: logging out deletes
# the session row, so a copied cookie dies with it. Signed-cookie sessions would stay valid
# until they expire, and cannot hold a no-JavaScript answer's pending error (up to 5,000
# characters of text); cached_db with the per-process cache would keep a logged-out session
# alive in the other gunicorn workers.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# HTTPS (all off by default, for a local run over plain HTTP; the README's production section
# turns them on, and `manage.py check --deploy` is clean with it). Behind a TLS-terminating
# proxy, ANNQUIZ_TRUST_X_FORWARDED_PROTO makes Django take a request as HTTPS when the proxy's
# X-Forwarded-Proto says "https": without it, the redirect to HTTPS would loop forever. Turn
# it on only when the proxy sets that header itself (overwriting any the client sent).
# /healthz is not redirected, so a load balancer may check it over plain HTTP.
SECURE_SSL_REDIRECT = env_bool("ANNQUIZ_SECURE_SSL_REDIRECT", False)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if env_bool("ANNQUIZ_TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# HTTP Strict Transport Security: browsers that saw the header refuse plain HTTP to the site
# for this many seconds. Start small (3600) and raise it (31536000, a year) once HTTPS works
# everywhere; it cannot be taken back before it runs out.
SECURE_HSTS_SECONDS = env_int("ANNQUIZ_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("ANNQUIZ_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("ANNQUIZ_HSTS_PRELOAD", False)
if SECURE_HSTS_SECONDS < 0:
    raise ImproperlyConfigured("ANNQUIZ_HSTS_SECONDS must be 0 (off) or more")

# Log-in throttling (django-axes): after ANNQUIZ_LOGIN_FAILURE_LIMIT wrong passwords for one
# username, or from one address (whatever the usernames), the log-in page and the token
# endpoint answer 429 with Retry-After for ANNQUIZ_LOGIN_COOLOFF_SECONDS, even to the right
# password. A try during the lockout starts the cool-off again, so Retry-After is the whole
# cool-off. Failures are counted in the database (shared by every gunicorn worker) and expire
# after the cool-off; a successful log-in clears none (axes' reset on success would clear the
# address's failures against every username, so logging into one's own account between
# guesses would defeat the limit). The address is REMOTE_ADDR: behind a proxy it is the
# proxy's, unless the proxy sets it from the client's.
# A free-text grading whose confidence (0-1, stored with the answer) is below this is flagged
# for an instructor's review (Answer.needs_review); see docs/questions.md, "Confidence".
ANNQUIZ_REVIEW_CONFIDENCE = env_float("ANNQUIZ_REVIEW_CONFIDENCE", 0.6)
if not 0.0 <= ANNQUIZ_REVIEW_CONFIDENCE <= 1.0:
    raise ImproperlyConfigured("ANNQUIZ_REVIEW_CONFIDENCE must be between 0 and 1")

ANNQUIZ_LOGIN_FAILURE_LIMIT = env_int("ANNQUIZ_LOGIN_FAILURE_LIMIT", 5)
ANNQUIZ_LOGIN_COOLOFF_SECONDS = env_int("ANNQUIZ_LOGIN_COOLOFF_SECONDS", 300)
if ANNQUIZ_LOGIN_FAILURE_LIMIT < 1 or ANNQUIZ_LOGIN_COOLOFF_SECONDS < 1:
    # A cool-off of 0 would make axes' lockouts permanent.
    raise ImproperlyConfigured(
        "ANNQUIZ_LOGIN_FAILURE_LIMIT and ANNQUIZ_LOGIN_COOLOFF_SECONDS must be at least 1"
    )
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = ANNQUIZ_LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(seconds=ANNQUIZ_LOGIN_COOLOFF_SECONDS)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_CALLABLE = "annquiz.accounts.lockout.lockout_response"
# Reverse proxies in front of the service (0: none). Behind N proxies the address a failed
# log-in counts against is read from X-Forwarded-For (annquiz.accounts.client_address), not
# from the proxy's own address, which would lock everybody out together.
ANNQUIZ_TRUSTED_PROXIES = env_int("ANNQUIZ_TRUSTED_PROXIES", 0)
if ANNQUIZ_TRUSTED_PROXIES < 0:
    raise ImproperlyConfigured(
        f"ANNQUIZ_TRUSTED_PROXIES={ANNQUIZ_TRUSTED_PROXIES}: a number of proxies, 0 or more"
    )
AXES_CLIENT_IP_CALLABLE = "annquiz.accounts.client_address.client_address"

# API tokens (DRF's authtoken, ``Authorization: Token <key>``) last this many hours from when
# they were made (30 days by default); an expired one is refused with 401, and asking for a
# token again gives a new one. Every token of a user is deleted when their password changes.
ANNQUIZ_TOKEN_TTL_HOURS = env_int("ANNQUIZ_TOKEN_TTL_HOURS", 30 * 24)
if ANNQUIZ_TOKEN_TTL_HOURS < 1:
    raise ImproperlyConfigured("ANNQUIZ_TOKEN_TTL_HOURS must be at least 1")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "annquiz.accounts.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "annquiz API",
    "DESCRIPTION": "Lessons, checkpoint questions, answers and grades.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # No deep links: Swagger UI would put each operation's link inside the button that opens
    # it, a focusable control nested in another (the docs page is checked by axe-core).
    "SWAGGER_UI_SETTINGS": {"deepLinking": False},
}

# Redis: an external server when REDIS_URL is set; otherwise the embedded server that
# `manage.py serve` starts on a unix socket in VAR_DIR.
EMBEDDED_REDIS_SOCKET = VAR_DIR / "redis.sock"
REDIS_URL = env_str("REDIS_URL", f"unix://{EMBEDDED_REDIS_SOCKET}")
# Kombu spells a unix-socket Redis URL "redis+socket://" where redis-py says "unix://".
CELERY_BROKER_URL = env_str(
    "CELERY_BROKER_URL",
    "redis+socket://" + REDIS_URL.removeprefix("unix://")
    if REDIS_URL.startswith("unix://")
    else REDIS_URL,
)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Every task names its queue: "numpy" and "tensorflow" for judgings (one per training backend,
# so a deployment can place workers for each), "celery" for the rest (the sweeper).
CELERY_TASK_DEFAULT_QUEUE = "celery"
# A child process is replaced after this many tasks: TensorFlow keeps a little memory for
# every new architecture it has compiled.
CELERY_WORKER_MAX_TASKS_PER_CHILD = env_int("ANNQUIZ_WORKER_MAX_TASKS_PER_CHILD", 250)

# Coding tasks, judged by workers.
# Worker processes `manage.py serve` starts; TensorFlow runs ANNQUIZ_TF_THREADS threads in
# each, so keep processes x threads within the machine's cores.
ANNQUIZ_WORKER_CONCURRENCY = env_int("ANNQUIZ_WORKER_CONCURRENCY", 2)
# Soft limit: the judging is stopped and stored as "timed out"; hard limit: the worker child
# is ended. Cost limits keep a legitimate judging far below both.
ANNQUIZ_GRADE_SOFT_TIME_LIMIT = env_int("ANNQUIZ_GRADE_SOFT_TIME_LIMIT", 120)
ANNQUIZ_GRADE_HARD_TIME_LIMIT = env_int("ANNQUIZ_GRADE_HARD_TIME_LIMIT", 150)
# A running judging writes a heartbeat at least every second or so; with none for this long
# its worker is taken for lost and another may claim the submission (at once, when the
# claiming process is known to be gone from the same host).
ANNQUIZ_GRADE_LEASE_SECONDS = env_int("ANNQUIZ_GRADE_LEASE_SECONDS", 20)
# A submission still queued this long after its message was sent is sent again (the claim
# makes a duplicate harmless). A backstop: each sweep already sends every judging queue the
# messages it lacks for its queued submissions (annquiz/coding/sweeper.py).
ANNQUIZ_GRADE_QUEUED_DEADLINE = env_int("ANNQUIZ_GRADE_QUEUED_DEADLINE", 300)
# A submission that has taken down its worker this many times ends as "error".
ANNQUIZ_GRADE_MAX_WORKER_ATTEMPTS = env_int("ANNQUIZ_GRADE_MAX_WORKER_ATTEMPTS", 3)
# Seconds between sweeps: after a broker restart, queued submissions wait at most about this
# long (once the workers have reconnected) for their messages to be sent again.
ANNQUIZ_SWEEP_INTERVAL = env_int("ANNQUIZ_SWEEP_INTERVAL", 10)
ANNQUIZ_SUBMISSION_RATE_LIMIT = env_int("ANNQUIZ_SUBMISSION_RATE_LIMIT", 10)
ANNQUIZ_SUBMISSION_RATE_WINDOW = env_int("ANNQUIZ_SUBMISSION_RATE_WINDOW", 60)
# At most this many of a student's submissions may be queued or running at once (429 beyond).
ANNQUIZ_MAX_ACTIVE_SUBMISSIONS_PER_STUDENT = env_int(
    "ANNQUIZ_MAX_ACTIVE_SUBMISSIONS_PER_STUDENT", 3
)
if ANNQUIZ_MAX_ACTIVE_SUBMISSIONS_PER_STUDENT < 1:
    raise ImproperlyConfigured("ANNQUIZ_MAX_ACTIVE_SUBMISSIONS_PER_STUDENT must be at least 1")
if ANNQUIZ_GRADE_HARD_TIME_LIMIT <= ANNQUIZ_GRADE_SOFT_TIME_LIMIT:
    raise ImproperlyConfigured(
        "ANNQUIZ_GRADE_HARD_TIME_LIMIT must be above ANNQUIZ_GRADE_SOFT_TIME_LIMIT"
    )
# Redis hands an unacknowledged message to another worker after the visibility timeout: it
# must be above the hard time limit, or a long judging would be delivered twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": max(3600, 4 * ANNQUIZ_GRADE_HARD_TIME_LIMIT)
}
# The sweeper has a queue of its own ("maintenance"), served by a light worker that runs no
# judging (annquiz.core.processes.maintenance_worker_command): behind a judging, a sweep
# would wait for minutes and then expire.
# Regrades (judging a task's submissions again after its checks changed) have a queue of
# their own, "regrade", served by a worker of one process that no live judging waits behind
# (annquiz.core.processes.regrade_worker_command); their sweep runs on "maintenance".
CELERY_TASK_ROUTES = {
    "annquiz.coding.sweep_submissions": {"queue": "maintenance"},
    "annquiz.coding.sweep_regrades": {"queue": "maintenance"},
    "annquiz.coding.regrade_item": {"queue": "regrade"},
}
CELERY_BEAT_SCHEDULE = {
    "sweep-submissions": {
        "task": "annquiz.coding.sweep_submissions",
        "schedule": float(ANNQUIZ_SWEEP_INTERVAL),
        "options": {"queue": "maintenance", "expires": float(ANNQUIZ_SWEEP_INTERVAL)},
    },
    "sweep-regrades": {
        "task": "annquiz.coding.sweep_regrades",
        "schedule": float(ANNQUIZ_SWEEP_INTERVAL),
        "options": {"queue": "maintenance", "expires": float(ANNQUIZ_SWEEP_INTERVAL)},
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
SPECTACULAR_SETTINGS.update(
    {
        "SWAGGER_UI_DIST": "SIDECAR",
        "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
        "REDOC_DIST": "SIDECAR",
    }
)
