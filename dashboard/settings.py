"""Settings for the DeepCall dashboard: one module, configured from the environment.

Development defaults just work (SQLite, the embedded DeepCall sandbox, a local cache).
`DJANGO_DEBUG=0` switches to production: a real secret key is then required, cookies are
secure, and the sandbox is off unless `DEEPCALL_SANDBOX_ENABLED=1`. Every variable is listed,
with its default, in README.md and `.env.example`.
"""

import ipaddress
import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
)
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from redis.backoff import NoBackoff
from redis.retry import Retry

from agents.roles import ROLE_PERMISSIONS
from agents.sandbox import (
    SANDBOX_OIDC_CLIENT_ID,
    SANDBOX_OIDC_CLIENT_SECRET,
    SANDBOX_SSID,
    SANDBOX_TOKEN,
    SANDBOX_USER_ID,
)
from dashboard.cache import SOCKET_CONNECT_TIMEOUT_S, SOCKET_TIMEOUT_S

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    """The variable's value; set but empty (`DATABASE_URL= make run`) counts as unset."""
    return os.environ.get(name, "").strip() or default


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = env_str(name)
    try:
        return int(value) if value else default
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from exc


def env_float(name: str, default: float) -> float:
    value = env_str(name)
    try:
        return float(value) if value else default
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}.") from exc


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


# --- Core ----------------------------------------------------------------------------------

DEBUG = env_bool("DJANGO_DEBUG", True)
# Debug pages against a real account must be asked for, not fallen into (see DEEPCALL_BASE_URL).
DEBUG_IS_EXPLICIT = env_str("DJANGO_DEBUG") != ""

_DEV_SECRET_KEY = "django-insecure-development-key-not-for-production"  # noqa: S105
SECRET_KEY = env_str("DJANGO_SECRET_KEY", _DEV_SECRET_KEY if DEBUG else "")
if not DEBUG and not SECRET_KEY:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set to a long random value when DJANGO_DEBUG=0 "
        "(for example: python -c 'import secrets; print(secrets.token_urlsafe(50))')."
    )
if not DEBUG and (
    # The rule of Django's own deploy check (security.W009), enforced rather than warned of.
    len(SECRET_KEY) < SECRET_KEY_MIN_LENGTH
    or len(set(SECRET_KEY)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS
    or SECRET_KEY.startswith(SECRET_KEY_INSECURE_PREFIX)
):
    raise ImproperlyConfigured(
        f"DJANGO_SECRET_KEY is too weak for DJANGO_DEBUG=0: it needs at least "
        f"{SECRET_KEY_MIN_LENGTH} characters, {SECRET_KEY_MIN_UNIQUE_CHARACTERS} of them "
        f"different, and must not start with {SECRET_KEY_INSECURE_PREFIX!r} "
        "(for example: python -c 'import secrets; print(secrets.token_urlsafe(50))')."
    )

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Before WhiteNoise's app: `manage.py runserver` is the first listed app's, and ours
    # (agents/management/commands/runserver.py) is WhiteNoise's without Nagle's delay.
    "agents",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_filters",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_tasks_db",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # The API's docs page (/api/v1/docs) then uses the package's own Swagger UI files, not a CDN.
    "ninja",
]

MIDDLEWARE = [
    # First: a body over REQUEST_BODY_MAX_BYTES is refused before anything reads it.
    "agents.middleware.RequestBodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After whitenoise: static files stay cacheable, everything else is no-store.
    "agents.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # /api/: the token, not the session, is the user; rate limit per token (agents/api/).
    "agents.api.middleware.ApiTokenMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Needs the user, messages and request.htmx from the middleware above.
    "agents.middleware.SessionLifetimeMiddleware",
    # A session that still owes its second factor opens nothing else (agents/two_factor.py).
    "agents.two_factor.SecondFactorMiddleware",
    # The user's team scope, read by every selector (agents/team_scope.py).
    "agents.middleware.TeamScopeMiddleware",
    "agents.middleware.ReadModelVersionMiddleware",
    # Last, as django-axes asks, so that it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dashboard.urls"
WSGI_APPLICATION = "dashboard.wsgi.application"
# How many requests a web process works out at once (agents/request_turns.py): its other threads
# only send answers and wait. Two rather than one: under load one left the machine idle more
# of the time (a process's only turn also waits for the database) and the site served fewer
# pages (README, Performance); both serve more than eight at once.
WEB_REQUESTS_AT_ONCE = env_int("WEB_REQUESTS_AT_ONCE", 2)
if WEB_REQUESTS_AT_ONCE < 1:
    raise ImproperlyConfigured("WEB_REQUESTS_AT_ONCE must be 1 or more.")

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "agents.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes a sync or a CAD batch.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A connection per request by default: runserver starts a thread per request, and a kept
    # connection would outlive it. A single-threaded process may keep its own: the worker
    # does (Procfile.dev), so that polling for jobs ten times a second costs almost nothing.
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 0)
    # Tests use a file too: an in-memory database shared between threads (the live server,
    # concurrent syncs) fails with "table is locked" instead of waiting as a file does.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / ".test-db.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    # Redis is a helper, never a single point of failure: while it does not answer, each
    # process caches in its own memory (dashboard/cache.py; README, "While Redis is away").
    CACHES = {
        "default": {
            "BACKEND": "dashboard.cache.FallbackRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "deepcall-dashboard",
            "OPTIONS": {
                "socket_connect_timeout": SOCKET_CONNECT_TIMEOUT_S,
                "socket_timeout": SOCKET_TIMEOUT_S,
                # One immediate reconnect (a pooled connection to a Redis that restarted), no
                # backoff: redis-py's default retries with sleeps would hold the request.
                "retry": Retry(NoBackoff(), 1),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Sessions live in the database only (Django's default engine), one indexed read a request.
# Not cached_db: a session ended (logged out, expired) while Redis was away would be served
# again from Redis's stale copy once it came back.

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Auth ----------------------------------------------------------------------------------

# agents.auth.RoleBackend is Django's ModelBackend reading permissions in one query.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "agents.auth.RoleBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Long passphrases beat complexity rules (NIST SP 800-63B); twelve is the usual floor today.
MIN_PASSWORD_LENGTH = 12
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": MIN_PASSWORD_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Five wrong passwords for one username from one address lock that pair out for 15 minutes:
# enough for typos, too few for guessing.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
# One address trying many usernames (password spraying) is stopped too; higher than the limit
# above, as an office behind one NAT address shares it. See agents/login_throttle.py.
AXES_ADDRESS_FAILURE_LIMIT = env_int("AXES_ADDRESS_FAILURE_LIMIT", 20)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "agents.login_throttle.LoginThrottleHandler"
AXES_CLIENT_IP_CALLABLE = "agents.client_address.client_ip"
# Reverse proxies in front of the app: X-Forwarded-For is trusted for that many hops only, and
# only in requests that come from one of TRUSTED_PROXIES (agents/client_address.py).
PROXY_COUNT = env_int("DJANGO_PROXY_COUNT", 0)
TRUSTED_PROXIES = env_list(
    "DJANGO_TRUSTED_PROXIES", "127.0.0.0/8,::1/128" if PROXY_COUNT > 0 else ""
)
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"DJANGO_TRUSTED_PROXIES must list addresses or networks (CIDR, e.g. 10.0.0.0/8), "
            f"not {_proxy!r}."
        ) from exc
# Two-factor sign-in (agents/two_factor.py): required for these roles' local accounts.
REQUIRE_2FA_ROLES = env_list("DJANGO_REQUIRE_2FA_ROLES", "Admin")
if unknown_roles := set(REQUIRE_2FA_ROLES) - set(ROLE_PERMISSIONS):
    raise ImproperlyConfigured(
        f"DJANGO_REQUIRE_2FA_ROLES names no such role: {', '.join(sorted(unknown_roles))}."
    )
OTP_TOTP_ISSUER = "DeepCall dashboard"
# django-otp's own back-off (growing waits after wrong codes) is off: wrong codes count toward
# django-axes' lockout instead, the same as wrong passwords, so there is one rule to explain.
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# --- Internationalisation ------------------------------------------------------------------

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("DEEPCALL_TIME_ZONE", "Asia/Kolkata")
USE_I18N = True
USE_TZ = True

# --- Static files --------------------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Bootstrap and Tom Select come from the npm registry (package.json, pinned), never a CDN.
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    ("vendor/tom-select", BASE_DIR / "node_modules" / "tom-select" / "dist"),
]
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

# --- Security ------------------------------------------------------------------------------

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    # Style elements come from our files only; bars and progress widths are set with style
    # attributes, the one thing allowed inline (style-src-attr).
    "style-src": [CSP.SELF],
    "style-src-elem": [CSP.SELF],
    "style-src-attr": [CSP.UNSAFE_INLINE],
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
# A session ends after DJANGO_SESSION_IDLE_MINUTES without a request, and in any case
# DJANGO_SESSION_MAX_HOURS after the log-in (agents.middleware.SessionLifetimeMiddleware).
SESSION_IDLE_MINUTES = env_int("DJANGO_SESSION_IDLE_MINUTES", 30)
SESSION_MAX_HOURS = env_int("DJANGO_SESSION_MAX_HOURS", 12)
SESSION_COOKIE_AGE = SESSION_MAX_HOURS * 3600
CSRF_COOKIE_HTTPONLY = False  # htmx reads no cookie; the token is in <body hx-headers>.
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Only a local load test over plain HTTP turns these off (DJANGO_SECURE_COOKIES=0).
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    if SESSION_COOKIE_SECURE:
        # __Host-: the browser takes the cookie only over HTTPS, for this host and path "/".
        SESSION_COOKIE_NAME = "__Host-sessionid"
        CSRF_COOKIE_NAME = "__Host-csrftoken"
    SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz/$", r"^readyz/$"]

# Error pages and reports mask every credential (dashboard/error_reports.py).
DEFAULT_EXCEPTION_REPORTER_FILTER = "dashboard.error_reports.SecretMaskingFilter"
DEFAULT_EXCEPTION_REPORTER = "dashboard.error_reports.SecretMaskingExceptionReporter"

# --- DeepCall ------------------------------------------------------------------------------

# A real account: DEEPCALL_BASE_URL and credentials from the environment. Without it the
# dashboard talks to the embedded sandbox (`manage.py deepcall_sandbox`), in development only.
DEEPCALL_BASE_URL = env_str("DEEPCALL_BASE_URL").rstrip("/")
DEEPCALL_SANDBOX_ENABLED = env_bool("DEEPCALL_SANDBOX_ENABLED", DEBUG)
DEEPCALL_SANDBOX_URL = env_str(
    "DEEPCALL_SANDBOX_URL", f"http://127.0.0.1:{env_int('DEEPCALL_SANDBOX_PORT', 8765)}"
).rstrip("/")
DEEPCALL_USES_SANDBOX = not DEEPCALL_BASE_URL


def _is_loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


if DEEPCALL_BASE_URL and not _is_loopback(DEEPCALL_BASE_URL):
    if DEBUG and not DEBUG_IS_EXPLICIT:
        raise ImproperlyConfigured(
            "DEEPCALL_BASE_URL points at a real DeepCall account, and DJANGO_DEBUG is not set: "
            "debug mode shows internals on error pages. Set DJANGO_DEBUG=0 for production, or "
            "DJANGO_DEBUG=1 to debug against this account on purpose."
        )
    if not DEBUG and urlsplit(DEEPCALL_BASE_URL).scheme != "https":
        raise ImproperlyConfigured(
            "DEEPCALL_BASE_URL must start with https:// when DJANGO_DEBUG=0: the credentials "
            "travel in every request (only a loopback address, such as a local proxy, may use "
            "http://)."
        )
if DEEPCALL_USES_SANDBOX and not DEEPCALL_SANDBOX_ENABLED:
    raise ImproperlyConfigured(
        "DEEPCALL_BASE_URL is not set. In production the dashboard needs a real DeepCall "
        "account (DEEPCALL_BASE_URL plus DEEPCALL_SSID, or DEEPCALL_USER_ID and DEEPCALL_TOKEN); "
        "set DEEPCALL_SANDBOX_ENABLED=1 to run against the embedded sandbox on purpose."
    )
DEEPCALL_API_URL = DEEPCALL_SANDBOX_URL if DEEPCALL_USES_SANDBOX else DEEPCALL_BASE_URL
DEEPCALL_SSID = env_str("DEEPCALL_SSID")
DEEPCALL_USER_ID = env_str("DEEPCALL_USER_ID", SANDBOX_USER_ID if DEEPCALL_USES_SANDBOX else "")
DEEPCALL_TOKEN = env_str("DEEPCALL_TOKEN", SANDBOX_TOKEN if DEEPCALL_USES_SANDBOX else "")
if DEEPCALL_USES_SANDBOX and env_str("DEEPCALL_SANDBOX_AUTH") == "ssid":
    DEEPCALL_SSID, DEEPCALL_USER_ID, DEEPCALL_TOKEN = SANDBOX_SSID, "", ""
DEEPCALL_TIME_ZONE = TIME_ZONE
DEEPCALL_CONNECT_TIMEOUT = env_float("DEEPCALL_CONNECT_TIMEOUT", 5.0)
DEEPCALL_READ_TIMEOUT = env_float("DEEPCALL_READ_TIMEOUT", 20.0)
DEEPCALL_CAD_BATCH_SIZE = env_int("DEEPCALL_CAD_BATCH_SIZE", 100)
DEEPCALL_CAD_CONCURRENCY = env_int("DEEPCALL_CAD_CONCURRENCY", 4)
DEEPCALL_LIST_CONCURRENCY = env_int("DEEPCALL_LIST_CONCURRENCY", 4)
DEEPCALL_SYNC_TTL = env_int("DEEPCALL_SYNC_TTL", 60)
# Days the history of agent changes is kept; the worker prunes older entries after each sync.
DEEPCALL_CHANGE_RETENTION_DAYS = env_int("DEEPCALL_CHANGE_RETENTION_DAYS", 90)

# --- Sign-in: single sign-on (agents/single_sign_on.py), passwords ------------------------

# In development the sandbox's OpenID provider is the default, so `make run` shows single
# sign-on with no account anywhere; in production there is no default issuer.
_SANDBOX_SIGN_IN = DEBUG and DEEPCALL_USES_SANDBOX and DEEPCALL_SANDBOX_ENABLED
OIDC_ISSUER = env_str(
    "OIDC_ISSUER", f"{DEEPCALL_SANDBOX_URL}/oidc" if _SANDBOX_SIGN_IN else ""
).rstrip("/")
OIDC_CLIENT_ID = env_str("OIDC_CLIENT_ID", SANDBOX_OIDC_CLIENT_ID if _SANDBOX_SIGN_IN else "")
OIDC_CLIENT_SECRET = env_str(
    "OIDC_CLIENT_SECRET", SANDBOX_OIDC_CLIENT_SECRET if _SANDBOX_SIGN_IN else ""
)
OIDC_PROVIDER_NAME = (
    env_str("OIDC_PROVIDER_NAME", "the sandbox's identity provider" if _SANDBOX_SIGN_IN else "")
    or "your company account"
)
OIDC_ROLE_CLAIM = env_str("OIDC_ROLE_CLAIM", "groups")
OIDC_SCOPES = env_str("OIDC_SCOPES", "openid email profile")


def _role_map(value: str) -> dict[str, str]:
    """`dashboard-admins=Admin,wfm=Manager` -> {"dashboard-admins": "Admin", "wfm": "Manager"}."""
    mapping = {}
    for item in filter(None, (part.strip() for part in value.split(","))):
        claim_value, _, role = (text.strip() for text in item.rpartition("="))
        if not claim_value or role not in ROLE_PERMISSIONS:
            raise ImproperlyConfigured(
                f"OIDC_ROLE_MAP: {item!r} should read <claim value>=<role>, the role one of "
                f"{', '.join(ROLE_PERMISSIONS)}."
            )
        mapping[claim_value] = role
    return mapping


OIDC_ROLE_MAP = _role_map(
    env_str(
        "OIDC_ROLE_MAP",
        "dashboard-admins=Admin,wfm=Manager,team-leads=Supervisor" if _SANDBOX_SIGN_IN else "",
    )
)
if OIDC_ISSUER and not OIDC_CLIENT_ID:
    raise ImproperlyConfigured("OIDC_ISSUER is set: OIDC_CLIENT_ID must be set too.")
if OIDC_ISSUER and not DEBUG and urlsplit(OIDC_ISSUER).scheme != "https":
    raise ImproperlyConfigured("OIDC_ISSUER must start with https:// when DJANGO_DEBUG=0.")
# DJANGO_PASSWORD_LOGIN=0: single sign-on only (local passwords no longer open anything).
PASSWORD_LOGIN = env_bool("DJANGO_PASSWORD_LOGIN", True)
if not PASSWORD_LOGIN and not OIDC_ISSUER:
    raise ImproperlyConfigured(
        "DJANGO_PASSWORD_LOGIN=0 turns password sign-in off, and OIDC_ISSUER is not set: "
        "nobody could sign in."
    )
if OIDC_ISSUER:
    AUTHENTICATION_BACKENDS.append("agents.single_sign_on.SingleSignOnBackend")
if not PASSWORD_LOGIN:
    AUTHENTICATION_BACKENDS.remove("agents.auth.RoleBackend")
# mozilla-django-oidc: PKCE and a nonce on every sign-in; its callback is ours.
OIDC_RP_CLIENT_ID = OIDC_CLIENT_ID
OIDC_RP_CLIENT_SECRET = OIDC_CLIENT_SECRET
OIDC_RP_SCOPES = OIDC_SCOPES
OIDC_USE_PKCE = True
OIDC_USE_NONCE = True
OIDC_AUTHENTICATION_CALLBACK_URL = "sso-callback"
OIDC_TIMEOUT = 10

# The largest legitimate body is a staffing-targets CSV (256 kB); anything over four times that
# is refused with 413 before it is read (agents.middleware.RequestBodyLimitMiddleware). Uploads
# within it stay in memory, so no request body is ever written to disk.
REQUEST_BODY_MAX_BYTES = 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = FILE_UPLOAD_MAX_MEMORY_SIZE = REQUEST_BODY_MAX_BYTES

# --- The HTTP API (agents/api/) --------------------------------------------------------------

# Requests a minute per API token: ten a second is plenty for a sync script, and stops a loop
# gone wrong from taking the dashboard's workers from the people using the pages.
API_RATE_LIMIT = env_int("API_RATE_LIMIT", 600)

# Selecting "all matching" keeps the filter, not the ids, so forms stay small; this only
# guards the ordinary forms.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# --- Logging -------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "django_tasks": {"level": "INFO"},
        # One INFO line per login otherwise; lock-outs are still logged as warnings.
        "axes": {"level": "WARNING"},
    },
}
