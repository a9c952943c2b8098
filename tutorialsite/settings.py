"""Settings for the asyncio tutorial site, read from the environment.

Every variable is listed in the README. Defaults suit one machine: SQLite, the
in-memory channel layer and the bundled weather simulator.
"""

import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP

from sandbox.limits import limits_from
from tutorialsite.env import (
    ImproperlyConfiguredEnv,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_rate,
    env_str,
    env_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", True)


def _secret_key() -> str:
    key = env_str("DJANGO_SECRET_KEY")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfiguredEnv(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off "
            '(generate one with: python -c "import secrets; print(secrets.token_urlsafe(50))")'
        )
    # Development only: a random key kept in an ignored file, so sessions survive
    # a restart and no key is ever committed.
    path = BASE_DIR / ".dev-secret-key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",  # search's vector field and GIN index; inert on SQLite
    "channels",
    "simple_history",
    "axes",
    "tutorialsite",  # the site's own checks and the serve command
    "lessons",
    "exercises",
    "live",
    "rooms",
    "search",
]

# tutorialsite.middleware holds Django's (and WhiteNoise's) own classes, with the hooks
# that do no blocking I/O run on the event loop instead of a thread each.
MIDDLEWARE = [
    "tutorialsite.middleware.SecurityMiddleware",
    "tutorialsite.middleware.ContentSecurityPolicyMiddleware",
    "tutorialsite.middleware.WhiteNoiseMiddleware",
    "tutorialsite.http_guard.RequestLimitsMiddleware",
    "tutorialsite.middleware.SessionMiddleware",
    "tutorialsite.middleware.CommonMiddleware",
    "tutorialsite.middleware.CsrfViewMiddleware",
    "tutorialsite.middleware.AuthenticationMiddleware",
    "tutorialsite.middleware.MessageMiddleware",
    "tutorialsite.middleware.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a refused login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tutorialsite.urls"
# What other apps add to a lesson page: async callables given the lesson and
# returning template context. The lessons app calls them without importing them.
LESSON_PAGE_CONTEXT = ["live.selectors.lesson_runs_so_far"]
ASGI_APPLICATION = "tutorialsite.asgi.application"

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
            ],
        },
    },
]

# Database: SQLite in the project folder unless DATABASE_URL says otherwise.
_database_url = env_url(
    "DATABASE_URL",
    f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
    schemes=("sqlite", "postgres", "postgresql"),
)
try:
    _database = dj_database_url.parse(_database_url, conn_health_checks=True)
except ValueError as exc:
    raise ImproperlyConfiguredEnv(f"DATABASE_URL is malformed: {exc}") from None
if _database["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers go on while a run is stored; IMMEDIATE takes the write
    # lock up front so concurrent writers wait (timeout) instead of failing.
    _database["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    # Django's connection pool, not persistent connections: under ASGI the
    # threads that hold connections come and go, and persistent ones would be
    # left open on threads that never come back. With the pool, a "close" hands
    # the connection back, so a process holds at most DATABASE_POOL_MAX_SIZE;
    # health checks replace connections a database restart broke.
    _database["CONN_MAX_AGE"] = 0  # required with the pool
    _database["OPTIONS"] = {
        "pool": {
            "min_size": 1,
            "max_size": env_int("DATABASE_POOL_MAX_SIZE", 10, minimum=1, maximum=1000),
            # Seconds a request waits for a free connection before failing.
            "timeout": 10,
        }
    }
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Channel layer and the demo limits: in memory on one process, shared through
# Redis when REDIS_URL is set (required for more than one process). Nothing
# uses Django's cache framework (the page cache is its own, per process).
REDIS_URL = env_str("REDIS_URL")
# Fail fast when Redis is down, so a reader hears "unavailable" at once.
REDIS_CONNECT_TIMEOUT = 1.0
REDIS_COMMAND_TIMEOUT = 3.0
# Classroom rooms (rooms/). A room ends after ROOM_IDLE_SECONDS without an
# action of its teacher, and at most ROOM_MAX_SECONDS after it opened.
ROOM_IDLE_SECONDS = env_float("ROOM_IDLE_SECONDS", 1800.0, minimum=1.0, maximum=86_400.0)
ROOM_MAX_SECONDS = env_float("ROOM_MAX_SECONDS", 12 * 3600.0, minimum=1.0, maximum=86_400.0)
# Days a room, and its guesses, are kept after it ended; pruned as rooms open.
ROOMS_KEPT_DAYS = env_float("ROOMS_KEPT_DAYS", 7.0, minimum=1.0, maximum=3650.0)
# Joins (and join pages) per client address: a code cannot be guessed in bulk.
# A reader by the join link counts twice (the page, then its socket's join):
# 60 a minute lets a class of 30 behind one school address in at once.
ROOM_JOIN_RATE_LIMIT = env_rate("ROOM_JOIN_RATE_LIMIT", "60/m")
# Items a teacher's socket keeps for followers that missed some, and how often
# it tells them the latest number, so that a lost last item is noticed too.
ROOM_LOG_ITEMS = env_int("ROOM_LOG_ITEMS", 2000, minimum=100, maximum=100_000)
ROOM_TICK_SECONDS = env_float("ROOM_TICK_SECONDS", 2.0, minimum=0.05, maximum=60.0)
# How long a follower waits for missed items before it asks again.
ROOM_RESYNC_SECONDS = env_float("ROOM_RESYNC_SECONDS", 2.0, minimum=0.05, maximum=60.0)
# channels-redis drops a group message for a process whose queue is full, with
# only an INFO log. A room's group holds one channel per process (rooms.hub),
# and a room's teacher sends one batch at a time and a tick: 1,000 leaves
# room for seconds of a stalled process with every room busy, whatever the
# rooms' sizes. Should any still be dropped, followers' processes see the gap
# and ask for the items again (rooms.state.Cursor). A group membership lasts
# longer than a room may.
CHANNEL_CAPACITY = env_int("CHANNEL_CAPACITY", 1000, minimum=100, maximum=1_000_000)
CHANNEL_GROUP_EXPIRY = int(ROOM_MAX_SECONDS) + 3600
if REDIS_URL:
    env_url("REDIS_URL", REDIS_URL, schemes=("redis", "rediss", "unix"))
    CHANNEL_LAYERS = {
        "default": {
            # channels-redis's RedisChannelLayer, made to outlive a Redis restart.
            "BACKEND": "live.channel_layer.ResilientRedisChannelLayer",
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_connect_timeout": REDIS_CONNECT_TIMEOUT}],
                # Sized for classroom rooms: see CHANNEL_CAPACITY.
                "capacity": CHANNEL_CAPACITY,
                "group_expiry": CHANNEL_GROUP_EXPIRY,
            },
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            "CONFIG": {"capacity": CHANNEL_CAPACITY, "group_expiry": CHANNEL_GROUP_EXPIRY},
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
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
WHITENOISE_USE_FINDERS = DEBUG

LOGIN_URL = "admin:login"
# Staff log in through the admin; a refused ?next= lands there, not on a 404.
LOGIN_REDIRECT_URL = "admin:index"

# Login throttling (django-axes): after LOGIN_FAILURE_LIMIT failed logins from one
# address, that address is refused, even with the right password, until the
# cool-off ends. By address only: locking a user name would let anyone lock staff out.
AUTHENTICATION_BACKENDS = [
    "tutorialsite.login_throttle.ThrottleBackend",  # django-axes' backend, async-capable
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1, maximum=1000)
AXES_COOLOFF_TIME = timedelta(
    minutes=env_int("LOGIN_COOLOFF_MINUTES", 15, minimum=1, maximum=7 * 24 * 60)
)
AXES_LOCKOUT_PARAMETERS = ["ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "tutorialsite.login_throttle.lockout_response"
# The connection's address only (daphne --proxy-headers sets it behind a proxy):
# a header the client writes itself must not choose which counter it hits.
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

# Live previews one staff member's lesson editor may ask for (lessons.preview): the
# editor asks once a pause in typing, and a preview costs what a save costs.
LESSON_PREVIEW_RATE_LIMIT = env_rate("LESSON_PREVIEW_RATE_LIMIT", "60/m")

# Security headers. Most are Django's defaults, spelled out so tests pin them.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"


def _websocket_sources(hosts: list[str]) -> list[str]:
    """wss:// sources for the demo socket on each allowed host.

    CSP Level 3 lets 'self' match ws(s) on the page's own host, and current
    browsers do; Safari before 16 did not, so production names the hosts too.
    """
    sources = []
    for host in hosts:
        if host == "*" or not host:
            continue
        sources.append(f"wss://*{host}" if host.startswith(".") else f"wss://{host}")
    return sources


SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF, *([] if DEBUG else _websocket_sources(ALLOWED_HOSTS))],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# HTTPS in production (debug off); each can be turned off for a special set-up.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int(
    "DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000, maximum=63_072_000
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
if env_bool("DJANGO_BEHIND_TLS_PROXY", False):
    # Only behind a proxy that sets this header itself, overwriting the client's.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Django's W001-W003 look for its middleware by dotted path and miss the
# subclasses in tutorialsite.middleware; tutorialsite.checks reports the same gaps instead.
SILENCED_SYSTEM_CHECKS = ["security.W001", "security.W002", "security.W003"]
# Asking browsers to preload HSTS is a commitment the deployer opts into
# (DJANGO_SECURE_HSTS_PRELOAD), so its absence is not reported as a problem.
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS.append("security.W021")

# Refused before any view runs (tutorialsite.http_guard), like a body over Django's
# DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB).
MAX_QUERY_STRING_BYTES = 2048
# Paths that read a longer one: the search page answers a pasted paragraph (it
# searches the first words and says so); 10 KB of text, percent-encoded, fits.
LONG_QUERY_STRING_BYTES = {"/search/": 32 * 1024}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
    "filters": {"brief": {"()": "tutorialsite.logs.Brief"}},
    "loggers": {
        "django.channels.server": {"level": "WARNING"},
        # Once, in a line: not also through Django's own console handler in debug.
        "django.security.DisallowedHost": {
            "handlers": ["console"],
            "filters": ["brief"],
            "propagate": False,
        },
    },
}

# Live demos.
DEMO_SYNC_WORKERS = env_int("DEMO_SYNC_WORKERS", 8, minimum=1, maximum=256)
DEMO_MAX_RUNNING = env_int("DEMO_MAX_RUNNING", 50, minimum=1, maximum=100_000)
DEMO_MAX_PER_CONNECTION = 2
# Pool threads one client address may hold at once (per process); its other
# sync runs wait their turn, served round-robin with other readers'.
DEMO_THREADS_PER_CLIENT = env_int("DEMO_THREADS_PER_CLIENT", 4, minimum=1, maximum=256)
DEMO_RATE_LIMIT = env_rate("DEMO_RATE_LIMIT", "30/m")
# Runs one client may share. Shared runs are not pruned with the others, so
# this, not the run limit, bounds how fast one client can grow the table.
DEMO_SHARE_RATE_LIMIT = env_rate("DEMO_SHARE_RATE_LIMIT", "20/h")
# The largest run that may be shared: the JSON of its timeline, trace, output
# and code (live.sharing.stored_size). Measured: the demos' own runs at their
# largest parameters weigh at most 3.5 KB untraced and 74 KB traced
# (blocking, semaphore); a reader's program that fills the trace (5,000
# records) weighs 945 KB, one that prints its 64 KiB one digit a line 816 KB.
# Only a program that does both is over 1 MiB.
DEMO_SHARE_MAX_BYTES = env_int(
    "DEMO_SHARE_MAX_BYTES", 1024 * 1024, minimum=64 * 1024, maximum=64 * 1024 * 1024
)
# Shared runs kept, whoever shared them: the oldest shared beyond this are
# pruned (live.run_pruning), so with DEMO_SHARE_MAX_BYTES the database keeps
# at most about 5 GB of shared runs (some 400 MB of the demos' own) however
# many addresses share.
DEMO_SHARED_RUNS_KEPT = env_int("DEMO_SHARED_RUNS_KEPT", 5000, minimum=10, maximum=10_000_000)
# Demo sockets one client address may hold open at once, per process.
DEMO_SOCKETS_PER_CLIENT = env_int("DEMO_SOCKETS_PER_CLIENT", 50, minimum=1, maximum=1_000_000)
# With Redis, a process holds each running demo's place under the shared cap as a
# lease it renews; a process that dies gives its places back after this long.
DEMO_LEASE_SECONDS = env_float("DEMO_LEASE_SECONDS", 15.0, minimum=1.0, maximum=600.0)
# Stored runs kept per demo and mode, whatever their outcome; older ones are
# pruned and only counted (live.run_pruning). At least 500: a page's median
# looks at the newest 500 that finished well.
DEMO_RUNS_KEPT = env_int("DEMO_RUNS_KEPT", 10_000, minimum=500, maximum=10_000_000)
# Readers' own programs, run by sandbox runners (sandbox/, docs/security.md):
# how many run at once in a runner process and in each site process (more wait
# in the queue, as demos do), what each may use, and how long the site waits
# for a runner to take a run before telling the reader none is there.
DEMO_SANDBOXES = env_int("DEMO_SANDBOXES", 4, minimum=1, maximum=256)
SANDBOX_LIMITS = limits_from(env_int, env_float)
SANDBOX_ANSWER_SECONDS = env_float("SANDBOX_ANSWER_SECONDS", 10.0, minimum=0.5, maximum=600.0)
# Live lesson updates: how many lessons one socket may watch at once.
LESSON_WATCHES_PER_CONNECTION = 5
WEATHER_API_URL = env_url(
    "WEATHER_API_URL", "http://127.0.0.1:8001/services/json/", schemes=("http", "https")
)
WEATHER_TIMEOUT = env_float("WEATHER_TIMEOUT", 3.0, minimum=0.05, maximum=60.0)
