"""BoneFit settings: one module, driven by environment variables; production is the default.

`make run` and the tests turn DEBUG on; everything else reads DJANGO_* variables.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if value == "":
        return default
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use true or false)")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number") from None


def env_list(name: str, default: str) -> list[str]:
    return [
        part.strip()
        for part in os.environ.get(name, default).split(",")
        if part.strip()
    ]


DEBUG = env_bool("DJANGO_DEBUG")
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "Set DJANGO_SECRET_KEY (or DJANGO_DEBUG=true for development)."
        )
    SECRET_KEY = "insecure-development-key-only-used-with-debug"  # noqa: S105
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "catalogue",
    "routines",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "bonefit.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads the body: patient pages take small forms, never files.
    "bonefit.middleware.RequestSizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "bonefit.middleware.PrivateCacheMiddleware",
    "bonefit.middleware.SessionTimeoutMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "bonefit.middleware.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # django-axes keeps the sign-in log only; BoneFit's own throttle refuses (see below).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "bonefit.urls"
WSGI_APPLICATION = "bonefit.wsgi.application"

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
                "bonefit.csrf.context",
            ],
        },
    },
    {
        # The week page, the parts of weeks and the printed sheet (bonefit/jinja2.py says
        # why); their files are under templates/jinja2/, so no name is found by both engines.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "bonefit.jinja2.environment",
            "context_processors": ["bonefit.csrf.jinja2_context"],
        },
    },
]
FORM_RENDERER = "bonefit.jinja2.FormRenderer"
if not DEBUG:
    # Cached loader in production; Django already does this, listed for clarity.
    TEMPLATES[0]["OPTIONS"]["debug"] = False

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["ENGINE"] = "bonefit.sqlite3"  # Django's, converting faster
    # IMMEDIATE takes the write lock when a transaction starts, so two writers queue
    # behind the busy timeout instead of failing with "database is locked" mid-way.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        # secure_delete: deleted health data is overwritten, not left in free pages.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
        "PRAGMA secure_delete=ON;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The cache holds only fragments whose key already says which version of their inputs they
# show (the catalogue list, a week of a routine), so workers never disagree about what is current.
# One host: a per-process memory cache, and sessions in the database; nothing else to run.
# More than one host: set REDIS_URL (redis://host:6379/0, rediss:// for TLS, or unix://path).
# Every host then shares one cache, and sessions are read from it and written through to the
# database (cached_db), so a sign-in on one host is valid on all and survives a Redis restart.
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL:
    if not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(
            "REDIS_URL must start with redis://, rediss:// or unix://"
        )
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("DJANGO_CACHE_KEY_PREFIX", "bonefit"),
            # A Redis that stops answering fails a request in seconds, not minutes.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
    SESSION_ENGINE = "bonefit.sessions.cached_db"
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }
    SESSION_ENGINE = "bonefit.sessions.db"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "bonefit.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "routines:list"
LOGOUT_REDIRECT_URL = "home"

# Throttling (routines/signin.py, counted in the cache). A browser that has signed in to an
# account before carries a device cookie and has its own counter, so someone sharing the
# patient's address (a care home's network) cannot lock the patient out.
LOGIN_FAILURE_LIMIT = env_int(
    "DJANGO_LOGIN_FAILURE_LIMIT", 5
)  # one account, one address
LOGIN_COOLOFF_MINUTES = env_int("DJANGO_LOGIN_COOLOFF_MINUTES", 15)
LOGIN_ADDRESS_FAILURE_LIMIT = env_int("DJANGO_LOGIN_ADDRESS_FAILURE_LIMIT", 20)
LOGIN_ACCOUNT_FAILURE_LIMIT = env_int(
    "DJANGO_LOGIN_ACCOUNT_FAILURE_LIMIT", 30
)  # an hour
PASSWORD_RESET_ADDRESS_LIMIT = env_int(
    "DJANGO_PASSWORD_RESET_ADDRESS_LIMIT", 10
)  # an hour
PASSWORD_RESET_EMAIL_LIMIT = env_int("DJANGO_PASSWORD_RESET_EMAIL_LIMIT", 3)  # an hour
SIGNUP_ADDRESS_LIMIT = env_int("DJANGO_SIGNUP_ADDRESS_LIMIT", 10)  # an hour
# How many proxies append to X-Forwarded-For in front of gunicorn (bonefit/network.py).
# DJANGO_BEHIND_PROXY=true is the older spelling of one proxy.
TRUSTED_PROXY_COUNT = env_int(
    "DJANGO_TRUSTED_PROXY_COUNT", 1 if env_bool("DJANGO_BEHIND_PROXY") else 0
)

# django-axes: only the sign-in log (who signed in, when, from where, with which browser)
# that the patient downloads with their data and that goes when their account goes.
AXES_LOCK_OUT_AT_FAILURE = False
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "bonefit.network.sign_in_log_ip"
AXES_VERBOSE = False

# Two-step sign-in (django-otp): staff need it for /admin/ and /clinic/; patients may turn
# it on. Anyone who has it on confirms a code after their password before any page.
TWO_FACTOR_REQUIRED_PREFIXES = ("/admin/", "/clinic/")
OTP_TOTP_ISSUER = os.environ.get("DJANGO_OTP_ISSUER", "BoneFit")

# Sessions: an absolute limit from sign-in, and an idle limit, shorter for staff, who see
# many patients' health data, than for patients, who may leave the week open while they
# exercise (bonefit/middleware.py).
SESSION_COOKIE_AGE = env_int("DJANGO_SESSION_MAX_DAYS", 14) * 24 * 60 * 60
SESSION_IDLE_SECONDS_PATIENT = env_int("DJANGO_SESSION_IDLE_MINUTES_PATIENT", 240) * 60
SESSION_IDLE_SECONDS_STAFF = env_int("DJANGO_SESSION_IDLE_MINUTES_STAFF", 30) * 60

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "bonefit.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_AUTOREFRESH = DEBUG
WHITENOISE_MAX_AGE = 0 if DEBUG else 60 * 60 * 24 * 30

# Upload and request limits: a picture may be up to 5 MB, a form far less.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024
# Whole request bodies (file parts included), checked before Django reads them: pictures
# are uploaded only under these prefixes; every other page takes small forms.
UPLOAD_PATH_PREFIXES = ("/admin/",)
UPLOAD_REQUEST_MAX_BYTES = 6 * 1024 * 1024
FORM_REQUEST_MAX_BYTES = 256 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
PICTURE_MAX_BYTES = 5 * 1024 * 1024
PICTURE_MAX_PIXELS = 4000 * 4000

# Mail carries password-reset links. Production needs a real SMTP server, or says
# DJANGO_EMAIL_DISABLED=true, which turns password reset by e-mail off with a message.
# Links must never go to the log: the console backend is for DEBUG only.
EMAIL_DISABLED = env_bool("DJANGO_EMAIL_DISABLED")
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "").strip()
EMAIL_PORT = env_int("DJANGO_EMAIL_PORT", 587)
EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", default=EMAIL_PORT == 587)
EMAIL_USE_SSL = env_bool("DJANGO_EMAIL_USE_SSL", default=EMAIL_PORT == 465)
EMAIL_TIMEOUT = env_int("DJANGO_EMAIL_TIMEOUT_SECONDS", 10)
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
elif DEBUG:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
elif EMAIL_DISABLED:
    EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
else:
    raise ImproperlyConfigured(
        "Set DJANGO_EMAIL_HOST (and DJANGO_EMAIL_HOST_USER, DJANGO_EMAIL_HOST_PASSWORD) "
        "so password-reset mails reach patients, or DJANGO_EMAIL_DISABLED=true to turn "
        "password reset by e-mail off."
    )
PASSWORD_RESET_BY_EMAIL = not EMAIL_DISABLED
DEFAULT_FROM_EMAIL = os.environ.get(
    "DJANGO_DEFAULT_FROM_EMAIL", "BoneFit <no-reply@localhost>"
)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
MESSAGE_STORAGE = "bonefit.messages.RecentSessionStorage"

# The catalogue asks this function which exercises suit the signed-in patient;
# it lives in routines so that catalogue never imports routines.
CATALOGUE_PERSONAL_ADVICE = "routines.checking.advice_for_user"
CATALOGUE_UNSUITABLE_PATTERNS = "routines.checking.unsuitable_pattern_codes"

# Security: HTTPS settings default on in production, off in DEBUG.
SECURE = env_bool("DJANGO_SECURE", default=not DEBUG)
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=SECURE)
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000 if SECURE else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool(
    "DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=SECURE
)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", default=SECURE)
if TRUSTED_PROXY_COUNT:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# __Host- cookies are only sent over HTTPS, to this host, for every path: no subdomain and
# no plain-http page can set or overwrite them.
if SECURE:
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
DEVICE_COOKIE_NAME = "__Host-bonefit-device" if SECURE else "bonefit-device"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    },
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["stderr"], "level": "WARNING"},
    "loggers": {
        "django": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
    },
}
