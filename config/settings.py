"""Puente's settings: one module, read from the environment.

Two ways to run with the same code:
- embedded (no DATABASE_URL, no REDIS_URL): SQLite in WAL mode and the in-memory channel
  layer, one daphne process on a facilitator's laptop;
- scaled (DATABASE_URL=postgresql://…, REDIS_URL=redis://…): PostgreSQL and channels-redis,
  several daphne processes behind one address.

Every value comes from the environment and a bad one fails loudly at start-up.
"""

import os
import secrets
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import available_timezones

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

from config import room

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PUENTE_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {raw!r}.")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def database_from_url(url: str) -> dict:
    """DATABASE_URL → Django DATABASES entry (postgresql:// or sqlite:///path)."""
    parts = urlsplit(url)
    if parts.scheme in {"postgres", "postgresql"}:
        options: dict[str, object] = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        # DB_POOL_SIZE > 0: psycopg's connection pool, up to that many connections per
        # process, shared by all its threads (daphne runs each request and socket query in a
        # thread). Recommended for several processes (docs/deploy.md): processes x size must
        # stay under PostgreSQL's max_connections. Without a pool, connections are closed at
        # the end of each request by default (DB_CONN_MAX_AGE=0), as Django asks under ASGI:
        # each request runs in a thread of its own, so a kept connection outlives its thread
        # and 60 phones joining at once held 83 of PostgreSQL's 100 (a CI run got "too many
        # clients already" and a 500 on a join).
        pool_size = env_int("DB_POOL_SIZE", 0)
        if pool_size > 0:
            options["pool"] = {"min_size": min(2, pool_size), "max_size": pool_size, "timeout": 10}
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": 0 if pool_size > 0 else env_int("DB_CONN_MAX_AGE", 0),
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": options,
            # One test database per test run (two runs at once on one machine stay apart).
            "TEST": {"NAME": f"test_{unquote(parts.path.lstrip('/'))}_{os.getpid()}"},
        }
    if parts.scheme == "sqlite":
        return sqlite_database(Path(unquote(parts.path)))
    raise ImproperlyConfigured(f"DATABASE_URL scheme {parts.scheme!r} is not supported.")


def sqlite_database(path: Path) -> dict:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": path,
        # WAL lets readers go on while one writer writes; IMMEDIATE takes the write lock
        # at BEGIN so concurrent writers queue (timeout) instead of failing with
        # "database is locked" when a read transaction tries to upgrade.
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"
            ),
        },
        # A file, not memory: the browser tests' server process must see the test data.
        # One per test run, so two runs at once on one machine do not share it.
        "TEST": {"NAME": VAR_DIR / f"test-{os.getpid()}.sqlite3"},
    }


DEBUG = env_bool("DEBUG", False)
# HTTPS: the public, scaled deployment behind TLS. A laptop in a meeting room serves plain
# HTTP on the venue network, so secure cookies and HSTS follow this switch, not DEBUG.
HTTPS = env_bool("HTTPS", False)


def secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key:
        return key
    if HTTPS:
        raise ImproperlyConfigured("SECRET_KEY must be set when HTTPS is on.")
    # Embedded mode: a key made once per installation and kept beside the database.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = secret_key()

# Where phones reach this server (config/room.py). PUBLIC_URL (or the older SITE_URL) names
# it for a hosted deployment. Otherwise, on a laptop (embedded mode) listening beyond loopback
# (`make run` passes BIND_HOST=0.0.0.0 and PORT), the laptop's own network addresses are
# allowed and the best one goes into every join address, QR code and emailed link;
# ROOM_ADDRESS picks one of them. A bad value stops the start-up with a message.
PUBLIC_URL = room.parse_public_url(env_str("PUBLIC_URL") or env_str("SITE_URL"))
BIND_HOST = env_str("BIND_HOST", "127.0.0.1")
PORT = env_int("PORT", 8000)
# SQLite (DATABASE_URL unset or sqlite:///…) without Redis: config.room.is_embedded.
_EMBEDDED = room.is_embedded(env_str("DATABASE_URL"), env_str("REDIS_URL"))
ROOM_ADDRESSES = (
    room.laptop_addresses()
    if _EMBEDDED and not PUBLIC_URL and not room.is_loopback_host(BIND_HOST)
    else []
)
ROOM_ADDRESS = room.choose_address(ROOM_ADDRESSES, env_str("ROOM_ADDRESS"))
_ROOM_IPS = [address.ip for address in ROOM_ADDRESSES]
# The laptop's addresses are allowed even beside an explicit list: QR codes carry them.
ALLOWED_HOSTS = [*env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"]), *_ROOM_IPS]
CSRF_TRUSTED_ORIGINS = [
    *env_list("CSRF_TRUSTED_ORIGINS", []),
    *room.room_origins(_ROOM_IPS, PORT),
]
if PUBLIC_URL:
    _public = urlsplit(PUBLIC_URL)
    if "ALLOWED_HOSTS" not in os.environ:
        ALLOWED_HOSTS.append(_public.hostname)
    CSRF_TRUSTED_ORIGINS.append(f"{_public.scheme}://{_public.netloc}")
# Where emails point people when there is no request to take it from (the reminders' cron).
SITE_URL = PUBLIC_URL or (
    room.room_origins([ROOM_ADDRESS], PORT)[0] if ROOM_ADDRESS else f"http://localhost:{PORT}"
)

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "servestatic",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "workshops",
    "facilitation",
    "agreements",
]

# daphne serves /static/ itself (ServeStatic, below) unless a front server (nginx) does it.
SERVE_STATIC = env_bool("SERVE_STATIC", True)

# The header middleware comes first so a static file answered by ServeStatic gets the same
# nosniff, framing, referrer, opener and content policies as a page; static files stop at
# ServeStatic, before no-store (they stay cacheable) and before GZip (they are precompressed).
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    *(["servestatic.middleware.ServeStaticMiddleware"] if SERVE_STATIC else []),
    "config.middleware.NoStoreMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "workshops.middleware.OrganisationTimezoneMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "workshops.context_processors.membership",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL")
DATABASES = {
    "default": (
        database_from_url(DATABASE_URL)
        if DATABASE_URL
        else sqlite_database(Path(env_str("SQLITE_PATH", str(VAR_DIR / "puente.sqlite3"))))
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")


def redis_channel_layer(url: str) -> dict:
    """The channel layer on the Redis at `url` (scaled mode)."""
    return {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            # redis-py 8 reads with a 5 s socket timeout by default, the same 5 s that
            # channels_redis blocks in BZPOPMIN: an idle consumer then fails with
            # "Timeout reading" and closes with 1011. Read longer than the pop blocks.
            # max_connections: redis-py 8 caps a pool at 100 and raises at once beyond
            # (MaxConnectionsError). Every socket's heartbeat touches Redis, so 300 phones
            # beating together (a ping burst, a reconnect after a Wi-Fi blip) exhausted
            # it and a broadcast failed with them (seen in the 30-minute soak).
            # retry: redis-py 8's asyncio connections retry nothing by default, and after a
            # Redis restart a pooled connection can still look open; its next command then
            # fails with "Connection closed by server" (a phone's connect closed with 3503
            # in CI). Three retries on a fresh connection, 50 ms to 0.5 s apart.
            "hosts": [
                {
                    "address": url,
                    "socket_timeout": 15,
                    "max_connections": env_int("REDIS_MAX_CONNECTIONS", 2000),
                    "retry": Retry(ExponentialBackoff(cap=0.5, base=0.05), 3),
                }
            ],
            "prefix": env_str("CHANNEL_PREFIX", "puente"),
            "capacity": env_int("CHANNEL_CAPACITY", 1000),
            "expiry": 60,
            "group_expiry": 3600,
        },
    }


if REDIS_URL:
    CHANNEL_LAYERS = {"default": redis_channel_layer(REDIS_URL)}
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_PREFIX", "puente"),
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Live sockets (config/backpressure.py, facilitation/consumers.py): a socket with more than
# this waiting to be sent is dropped (its phone reconnects and catches up with a snapshot);
# at most so many sockets per participant and per staff user in one server process (a newer
# one closes the oldest: a second tab, or a phone back on the Wi-Fi before its old socket
# timed out).
WS_MAX_BUFFERED_BYTES = env_int("WS_MAX_BUFFERED_KIB", 512) * 1024
WS_MAX_SOCKETS_PER_PARTICIPANT = env_int("WS_MAX_SOCKETS_PER_PARTICIPANT", 3)
WS_MAX_SOCKETS_PER_USER = env_int("WS_MAX_SOCKETS_PER_USER", 10)

# An account logs in, and keeps its session, only while it has an active membership
# (deactivation is per organisation: workshops/auth.py).
AUTHENTICATION_BACKENDS = ["workshops.auth.MembershipBackend"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Failed logins allowed per address and username within LOGIN_LOCKOUT_SECONDS.
LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 5)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 300)
# Days an invitation link stays valid (workshops/invitations.py); re-sending starts again.
INVITATION_DAYS = env_int("INVITATION_DAYS", 7)
if INVITATION_DAYS < 1:
    raise ImproperlyConfigured(f"INVITATION_DAYS must be 1 or more, not {INVITATION_DAYS}.")

LANGUAGE_CODE = "es"
LANGUAGES = [("es", _("Español")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
# The server's own zone; every date a person reads is shown in their organisation's zone.
TIME_ZONE = env_str("TIME_ZONE", "America/Bogota")
if TIME_ZONE not in available_timezones():
    raise ImproperlyConfigured(f"TIME_ZONE {TIME_ZONE!r} is not a known time zone.")

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Static files are served (by ServeStatic or nginx) from STATIC_ROOT as `collectstatic` leaves
# it (`make run`, `make test` and `make bench` run it): names carrying a hash of the content,
# cached for good (immutable), each with its gzip and brotli copy made once there.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "config.static.CompressedManifestStorage"},
}
# Our scripts are for our pages: no Access-Control-Allow-Origin (nginx sends none either).
SERVESTATIC_ALLOW_ALL_ORIGINS = False

# The default prints mail to the log with its links hidden (owners' links are private).
EMAIL_BACKEND_PATH = env_str("EMAIL_BACKEND", "config.mail.ConsoleEmailBackend")
MAILERS = {"default": {"BACKEND": EMAIL_BACKEND_PATH}}
if EMAIL_BACKEND_PATH.endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "host": env_str("EMAIL_HOST", "localhost"),
        "port": env_int("EMAIL_PORT", 587),
        "username": env_str("EMAIL_HOST_USER"),
        "password": env_str("EMAIL_HOST_PASSWORD"),
        "use_tls": env_bool("EMAIL_USE_TLS", True),
    }
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Puente <puente@localhost>")

# Security. Scripts and styles only from our own origin: no inline script, no eval.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 24 * 14)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}
