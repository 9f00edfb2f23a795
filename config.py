"""Every Cartwheel setting, read from the environment, with embedded defaults.

`load()` returns a frozen `Settings`. The embedded defaults (SQLite under
`var/`, the stub broker, console providers, a signing key generated once into
`var/secret_key`) need no service, and no secret has a constant default. When
`CARTWHEEL_ENV=production`, settings that have no safe default must be set;
a missing or malformed one raises `ConfigError` whose message is one line
naming the variable, and the entry points print it and exit.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

ROOT = Path(__file__).resolve().parent
SECRET_KEY_FILE = ROOT / "var" / "secret_key"  # the generated signing key when SECRET_KEY is not set
EMAIL_PROVIDERS = ("sendgrid", "console")
SMS_PROVIDERS = ("twilio", "console")


class ConfigError(Exception):
    """A setting is missing or malformed; `str(err)` is one line naming it."""


def _int(env, name, default, minimum=None, maximum=None):
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ConfigError(f"{name} must be between {minimum} and {maximum}, got {value}")
    return value


def _slug(env, name, default):
    """A lower-case name (letters, digits, _), e.g. a provider's; `default` when unset."""
    raw = (env.get(name) or "").strip().lower() or default
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", raw):
        raise ConfigError(f"{name} must be a lower-case name (letters, digits, _), got {raw!r}")
    return raw


def _decimal(env, name, default):
    raw = env.get(name)
    if raw in (None, ""):
        return Decimal(default)
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ConfigError(f"{name} must be a decimal number such as 0.08, got {raw!r}") from None
    if not value.is_finite() or value < 0 or value >= 1:
        raise ConfigError(f"{name} must be a fraction in [0, 1), got {raw!r}")
    return value


def _bool(env, name, default):
    raw = env.get(name)
    if raw in (None, ""):
        return default
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


_RATE = re.compile(r"^\s*\d+\s*(/|per)\s*(\d+\s*)?(second|minute|hour|day)s?\s*$", re.IGNORECASE)


def _rate(env, name, default):
    """A rate limit in flask-limiter's notation ("100 per minute", "5/second"; several joined by ';')."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    if not all(_RATE.match(part) for part in raw.split(";")):
        raise ConfigError(f"{name} must be a rate such as '100 per minute' (several joined by ';'), got {raw!r}")
    return raw


def _url(env, name, default):
    raw = (env.get(name) or "").strip().rstrip("/")
    if not raw:
        return default
    if not re.match(r"^https?://[^\s/]+(/[^\s]*)?$", raw):
        raise ConfigError(f"{name} must be an http(s) URL such as https://shop.example.com, got {raw!r}")
    return raw


def _roles(env, name) -> tuple:
    """Comma-separated roles among staff, courier and admin."""
    roles = tuple(r.strip().lower() for r in (env.get(name) or "").split(",") if r.strip())
    unknown = [r for r in roles if r not in ("staff", "courier", "admin", "customer")]
    if unknown:
        raise ConfigError(f"{name} must list roles among customer, courier, staff, admin, got {unknown[0]!r}")
    return roles


def _keys(env, name) -> tuple:
    """`kid:base64key,kid:base64key` (32-byte AES keys, URL-safe or standard base64): the first
    encrypts, every one decrypts (rotation). Returns ((kid, bytes), ...)."""
    import base64
    import binascii

    keys = []
    for item in (env.get(name) or "").split(","):
        if not item.strip():
            continue
        kid, _, encoded = item.strip().partition(":")
        try:
            key = base64.urlsafe_b64decode(encoded.replace("+", "-").replace("/", "_") + "=" * (-len(encoded) % 4))
        except (binascii.Error, ValueError):
            key = b""
        if not re.match(r"^[A-Za-z0-9_-]{1,16}$", kid) or len(key) != 32:
            raise ConfigError(f"{name} must be 'keyid:base64 of 32 bytes' entries separated by commas")
        keys.append((kid, key))
    if len({kid for kid, _ in keys}) != len(keys):
        raise ConfigError(f"{name} has a key id twice")
    return tuple(keys)


def _origins(env, name) -> tuple:
    """Comma-separated exact origins (scheme://host[:port]); '*' is refused (credentials are sent)."""
    raw = env.get(name) or ""
    origins = tuple(o.strip().rstrip("/") for o in raw.split(",") if o.strip())
    for origin in origins:
        if not re.match(r"^https?://[A-Za-z0-9.-]+(:\d+)?$", origin):
            raise ConfigError(f"{name} must list origins such as https://shop.example.com, got {origin!r}")
    return origins


# ISO 4217 minor-unit exponents for the currencies a shop may choose.
CURRENCY_EXPONENTS = {
    "USD": 2, "EUR": 2, "GBP": 2, "CAD": 2, "AUD": 2, "CHF": 2, "SEK": 2,
    "AED": 2, "SAR": 2, "EGP": 2, "MAD": 2, "INR": 2,
    "JOD": 3, "KWD": 3, "BHD": 3, "OMR": 3, "TND": 3,
    "JPY": 0, "KRW": 0,
}


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _weekdays(env, name, default) -> tuple:
    """A comma-separated list of weekday abbreviations (`mon,tue`) as sorted weekday numbers (Monday 0)."""
    raw = [part.strip().lower() for part in (env.get(name) or default).split(",") if part.strip()]
    if not raw or any(part not in WEEKDAYS for part in raw):
        raise ConfigError(f"{name} must list weekdays among {','.join(WEEKDAYS)}, got {env.get(name)!r}")
    return tuple(sorted({WEEKDAYS.index(part) for part in raw}))


VIDEO_CATEGORIES = "trending_me,trending_her,waist,beauty,fashion,food,home"
_SLUG = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def _slugs(env, name, default) -> tuple:
    """A comma-separated list of distinct lower-case snake_case slugs (at most 40 characters each)."""
    raw = [part.strip() for part in (env.get(name) or default).split(",") if part.strip()]
    if not raw or any(not _SLUG.match(part) for part in raw) or len(set(raw)) != len(raw):
        raise ConfigError(f"{name} must list distinct snake_case slugs (a-z, 0-9, _), got {env.get(name)!r}")
    return tuple(raw)


def _clock_time(env, name, default) -> dt.time:
    raw = env.get(name) or default
    try:
        return dt.datetime.strptime(raw, "%H:%M").time()
    except ValueError:
        raise ConfigError(f"{name} must be a time HH:MM (24 h), got {raw!r}") from None


def _timezone(env, name, default) -> str:
    raw = env.get(name) or default
    try:
        zoneinfo.ZoneInfo(raw)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{name} must be an IANA time zone (Asia/Amman), got {raw!r}") from None
    return raw


@dataclass(frozen=True)
class Settings:
    """Cartwheel's configuration. Money settings are integer minor units of `currency`."""

    env: str
    database_url: str
    broker_url: str
    redis_url: str
    secret_key: str
    jwt_issuer: str
    jwt_audience: str
    jwt_access_ttl: int  # seconds
    jwt_refresh_ttl: int  # seconds
    stripe_secret_key: str
    stripe_webhook_secret: str
    stripe_api_base: str
    sendgrid_api_key: str
    twilio_account_sid: str
    twilio_auth_token: str
    twilio_from: str
    email_provider: str  # sendgrid | console
    sms_provider: str  # twilio | console
    email_from: str
    currency: str
    tax_rate: Decimal
    order_number_prefix: str
    shipping_standard: int
    shipping_express: int
    shipping_same_day: int
    same_day_city: str
    max_item_quantity: int
    cart_ttl_days: int
    job_lease_seconds: int
    relay_interval_seconds: int
    relay_grace_seconds: int
    dispatch_lease_seconds: int
    health_queue_age_seconds: int
    idempotency_ttl_hours: int
    worker_threads: int
    model_dir: str
    media_dir: str
    db_pool_size: int
    catalog_cache_seconds: int  # catalog cache entry lifetime (services.platform.catalog_ttl); 0: off
    sendgrid_api_host: str
    twilio_api_base: str
    recommendations_nightly_hour: int
    finished_job_retention_days: int
    abandoned_cart_hours: int
    loyalty_reminder_days: int
    sse_max_streams: int
    sse_max_seconds: int
    sse_keepalive_seconds: int
    sse_poll_seconds: int
    # Accounts and security (DESIGN.md section 10, docs/security.md)
    cors_origins: tuple = ()  # exact origins allowed by CORS; empty: no cross-origin access
    hsts_seconds: int = 31_536_000  # Strict-Transport-Security max-age; 0 leaves the header out
    rate_limits_enabled: bool = True
    rate_limit_storage_url: str = ""  # redis:// (shared by every process) or memory:// (one process)
    rate_limit_default: str = "100 per minute"  # per client IP, every route
    rate_limit_auth: str = "10 per minute"  # per IP: login, registration, OTP, password reset
    rate_limit_writes: str = "60 per minute"  # per user: authenticated writes
    rate_limit_api_key: str = "1000 per minute"  # per API key
    login_backoff_after: int = 5  # failed logins (per account, per IP) before the backoff starts
    login_backoff_max_seconds: int = 300  # longest wait the backoff imposes
    password_min_score: int = 3  # zxcvbn score (0-4) a new password needs
    storefront_url: str = "http://localhost:3000"  # account links in emails point at its pages
    pii_keys: tuple = ()  # ((key id, 32-byte key), ...) for PII at rest; first encrypts; empty: derived from secret_key
    avatar_max_bytes: int = 5 * 1024 * 1024  # upload size limit of a profile picture
    avatar_max_dimension: int = 4096  # pixels, width and height, before it is scaled down to AVATAR_SIZE
    mfa_required_roles: tuple = ()  # roles that must use MFA (e.g. ("staff", "admin")) before their routes work
    catalog_max_age_seconds: int = 5  # `Cache-Control: public, max-age` of anonymous catalog reads (web.cache)
    account_export_dir: str = str(ROOT / "var" / "exports")  # account data exports: private, never served
    account_export_ttl_days: int = 7  # days an account data export can be downloaded before it is deleted
    otp_ttl_seconds: int = 300  # how long an SMS login code is good for
    otp_max_attempts: int = 5  # wrong codes before a sent code is dead
    otp_resend_seconds: int = 60  # shortest wait between two codes to one number
    otp_max_per_hour: int = 5  # codes sent to one number in any hour (SMS pumping, guessing)
    reviews_auto_approve_verified: bool = True  # a verified purchase's review is approved without staff
    reviews_report_hide_threshold: int = 3  # reports that hide an approved review until staff look
    review_image_max_bytes: int = 8 * 1024 * 1024  # upload size limit of a review photo
    review_video_max_bytes: int = 20 * 1024 * 1024  # upload size limit of a review video (stored as sent)
    # Shoppable videos (services.content; README "Shoppable videos")
    video_max_bytes: int = 50 * 1024 * 1024  # upload size limit of a video file (stored as sent)
    video_categories: tuple = tuple(VIDEO_CATEGORIES.split(","))  # the categories a video may have
    # Loyalty (services.loyalty; README "Loyalty")
    loyalty_review_points: int = 50  # points for an approved review, once per review; 0: off
    loyalty_profile_points: int = 100  # points for a completed profile, once per customer; 0: off
    loyalty_points_expiry_days: int = 365  # a balance expires after this many days without earn/redeem; 0: never
    loyalty_point_value: int = 1  # minor units of `currency` one redeemed point is worth (100 points = 1.00)
    # Wallet (services.wallet; README "Wallet")
    wallet_min_withdrawal_minor: int = 1000  # smallest withdrawal, minor units of `currency` (1000 = 10.00)
    wallet_payout_provider: str = "manual"  # payout provider of approved withdrawals (services.wallet.payouts)
    # Delivery dates (services.orders.delivery_dates; README "Shipping zones and delivery dates")
    delivery_days: tuple = (0, 1, 2, 3, 4, 5)  # weekdays delivered on (Monday 0 ... Sunday 6)
    delivery_cutoff: dt.time = dt.time(14, 0)  # shop-local time after which today is no longer bookable
    shop_timezone: str = "UTC"  # IANA time zone of the shop's calendar and cut-off
    delivery_horizon_days: int = 30  # how many days ahead (after today) a delivery date may be booked
    extra: dict = field(default_factory=dict)

    @property
    def embedded(self) -> bool:
        """True when running the one-process embedded mode (stub broker)."""
        return self.broker_url.startswith("stub://")

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgres://", "postgresql://"))

    @property
    def stripe_enabled(self) -> bool:
        return bool(self.stripe_secret_key)

    @property
    def currency_exponent(self) -> int:
        return CURRENCY_EXPONENTS[self.currency]


def embedded_secret_key(path: Path | None = None) -> str:
    """The signing key of a shop run without `SECRET_KEY`: 64 random URL-safe characters generated
    on first use into `path` (default `var/secret_key`, mode 0600) and read back afterwards, so
    tokens survive a restart and no key is a constant anyone can read in the code. Two processes
    starting at once agree (the file is created exclusively). Raises ConfigError when the file
    cannot be read or written."""
    path = Path(path or SECRET_KEY_FILE)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            key = path.read_text(encoding="utf-8").strip()
            if len(key) >= 32:
                return key
            raise ConfigError(f"SECRET_KEY is not set and {path} holds no usable key; delete it or set SECRET_KEY")
        key = secrets.token_urlsafe(48)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(key + "\n")
        return key
    except OSError as exc:
        raise ConfigError(f"SECRET_KEY is not set and {path} cannot be used: {exc.strerror}") from None


def _provider(env: dict, production: bool, name: str, choices: tuple, settings: tuple) -> str:
    """The chosen provider for a channel: `env[name]` when given, else the real one when all of
    its `settings` are set, else `console` - which production refuses unless chosen explicitly."""
    chosen = (env.get(name) or "").strip().lower()
    if chosen and chosen not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {chosen!r}")
    configured = all(env.get(setting) for setting in settings)
    if chosen == choices[0] or (not chosen and production):
        missing = next((setting for setting in settings if not env.get(setting)), None)
        if missing:
            hint = "" if chosen else f" (or set {name}=console to only log messages)"
            why = f"with {name}={choices[0]}" if chosen else "when CARTWHEEL_ENV=production"
            raise ConfigError(f"{missing} is required {why}{hint}")
    return chosen or (choices[0] if configured else "console")


def load(env: dict | None = None) -> Settings:
    """Build `Settings` from `env` (default `os.environ`).

    Raises `ConfigError` (one-line message naming the variable) for a malformed
    value, or, with `CARTWHEEL_ENV=production`, for a missing required one.
    """
    env = dict(os.environ if env is None else env)
    mode = env.get("CARTWHEEL_ENV", "embedded")
    if mode not in ("embedded", "production", "test"):
        raise ConfigError(f"CARTWHEEL_ENV must be embedded, production or test, got {mode!r}")
    production = mode == "production"
    if production:
        for required in ("DATABASE_URL", "BROKER_URL", "REDIS_URL", "SECRET_KEY"):
            if not env.get(required):
                raise ConfigError(f"{required} is required when CARTWHEEL_ENV=production")
        if len(env["SECRET_KEY"]) < 32:
            raise ConfigError("SECRET_KEY must be at least 32 characters in production")

    database_url = env.get("DATABASE_URL") or f"sqlite:///{ROOT / 'var' / 'cartwheel.db'}"
    if not database_url.startswith(("sqlite:///", "postgres://", "postgresql://")):
        raise ConfigError(f"DATABASE_URL must start with sqlite:///, postgres:// or postgresql://, got {database_url!r}")
    broker_url = env.get("BROKER_URL") or "stub://"
    if not broker_url.startswith(("stub://", "redis://", "rediss://", "amqp://")):
        raise ConfigError(f"BROKER_URL must start with stub://, redis:// or amqp://, got {broker_url!r}")
    currency = (env.get("CURRENCY") or "USD").upper()
    if currency not in CURRENCY_EXPONENTS:
        raise ConfigError(f"CURRENCY must be an ISO 4217 code Cartwheel knows, got {currency!r}")
    stripe_key = env.get("STRIPE_SECRET_KEY", "")
    webhook_secret = env.get("STRIPE_WEBHOOK_SECRET", "")
    if production and stripe_key and not webhook_secret:
        raise ConfigError("STRIPE_WEBHOOK_SECRET is required when STRIPE_SECRET_KEY is set in production")
    loyalty_expiry_days = _int(env, "LOYALTY_POINTS_EXPIRY_DAYS", 365, 0, 3650)
    if loyalty_expiry_days and _int(env, "LOYALTY_REMINDER_DAYS", 30, 1, 3650) >= loyalty_expiry_days:
        raise ConfigError("LOYALTY_REMINDER_DAYS must be shorter than LOYALTY_POINTS_EXPIRY_DAYS (points are "
                          "reminded before they expire)")

    return Settings(
        env=mode,
        database_url=database_url,
        broker_url=broker_url,
        redis_url=env.get("REDIS_URL", ""),
        secret_key=env.get("SECRET_KEY") or embedded_secret_key(),
        jwt_issuer=env.get("JWT_ISSUER", "cartwheel"),
        jwt_audience=env.get("JWT_AUDIENCE", "cartwheel-api"),
        jwt_access_ttl=_int(env, "JWT_ACCESS_TTL_SECONDS", 900, 60, 86400),
        jwt_refresh_ttl=_int(env, "JWT_REFRESH_TTL_SECONDS", 30 * 86400, 3600, 365 * 86400),
        stripe_secret_key=stripe_key,
        stripe_webhook_secret=webhook_secret,
        stripe_api_base=env.get("STRIPE_API_BASE", ""),
        sendgrid_api_key=env.get("SENDGRID_API_KEY", ""),
        twilio_account_sid=env.get("TWILIO_ACCOUNT_SID", ""),
        twilio_auth_token=env.get("TWILIO_AUTH_TOKEN", ""),
        twilio_from=env.get("TWILIO_FROM", ""),
        email_provider=_provider(env, production, "EMAIL_PROVIDER", EMAIL_PROVIDERS, ("SENDGRID_API_KEY",)),
        sms_provider=_provider(env, production, "SMS_PROVIDER", SMS_PROVIDERS,
                               ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM")),
        email_from=env.get("EMAIL_FROM", "shop@cartwheel.test"),
        currency=currency,
        tax_rate=_decimal(env, "TAX_RATE", "0.08"),
        order_number_prefix=(env.get("ORDER_NUMBER_PREFIX") or "CW").upper(),
        shipping_standard=_int(env, "SHIPPING_STANDARD_PRICE", 500, 0),
        shipping_express=_int(env, "SHIPPING_EXPRESS_PRICE", 1000, 0),
        shipping_same_day=_int(env, "SHIPPING_SAME_DAY_PRICE", 1500, 0),
        same_day_city=env.get("SAME_DAY_CITY", "Amman"),
        max_item_quantity=_int(env, "MAX_ITEM_QUANTITY", 99, 1, 10000),
        cart_ttl_days=_int(env, "CART_TTL_DAYS", 30, 1, 365),
        job_lease_seconds=_int(env, "JOB_LEASE_SECONDS", 0, 5, 3600),  # 0 (unset): declared leases
        relay_interval_seconds=_int(env, "RELAY_INTERVAL_SECONDS", 2, 1, 60),
        relay_grace_seconds=_int(env, "RELAY_GRACE_SECONDS", 3, 0, 600),
        dispatch_lease_seconds=_int(env, "DISPATCH_LEASE_SECONDS", 10, 1, 3600),
        health_queue_age_seconds=_int(env, "HEALTH_QUEUE_AGE_SECONDS", 60, 1, 86400),
        idempotency_ttl_hours=_int(env, "IDEMPOTENCY_TTL_HOURS", 24, 24, 24 * 30),
        worker_threads=_int(env, "WORKER_THREADS", 4, 1, 64),
        model_dir=env.get("MODEL_DIR", str(ROOT / "var" / "models")),
        media_dir=env.get("MEDIA_DIR", str(ROOT / "var" / "media")),
        db_pool_size=_int(env, "DB_POOL_SIZE", 20, 1, 500),
        catalog_cache_seconds=_int(env, "CATALOG_CACHE_SECONDS", 300, 0, 3600),
        sendgrid_api_host=env.get("SENDGRID_API_HOST", "https://api.sendgrid.com"),
        twilio_api_base=env.get("TWILIO_API_BASE", ""),
        recommendations_nightly_hour=_int(env, "RECOMMENDATIONS_NIGHTLY_HOUR", 3, -1, 23),
        finished_job_retention_days=_int(env, "FINISHED_JOB_RETENTION_DAYS", 30, 1, 3650),
        abandoned_cart_hours=_int(env, "ABANDONED_CART_HOURS", 24, 1, 24 * 30),
        loyalty_reminder_days=_int(env, "LOYALTY_REMINDER_DAYS", 30, 1, 3650),
        sse_max_streams=_int(env, "SSE_MAX_STREAMS", 4, 1, 10_000),
        sse_max_seconds=_int(env, "SSE_MAX_SECONDS", 300, 5, 86_400),
        sse_keepalive_seconds=_int(env, "SSE_KEEPALIVE_SECONDS", 15, 1, 300),
        sse_poll_seconds=_int(env, "SSE_POLL_SECONDS", 5, 1, 300),
        cors_origins=_origins(env, "CORS_ORIGINS"),
        hsts_seconds=_int(env, "HSTS_MAX_AGE_SECONDS", 31_536_000, 0, 2 * 31_536_000),
        rate_limits_enabled=_bool(env, "RATE_LIMITS_ENABLED", True),
        rate_limit_storage_url=env.get("RATE_LIMIT_STORAGE_URL") or env.get("REDIS_URL") or "memory://",
        rate_limit_default=_rate(env, "RATE_LIMIT_DEFAULT", "100 per minute"),
        rate_limit_auth=_rate(env, "RATE_LIMIT_AUTH", "10 per minute"),
        rate_limit_writes=_rate(env, "RATE_LIMIT_WRITES", "60 per minute"),
        rate_limit_api_key=_rate(env, "RATE_LIMIT_API_KEY", "1000 per minute"),
        login_backoff_after=_int(env, "LOGIN_BACKOFF_AFTER", 5, 1, 1000),
        login_backoff_max_seconds=_int(env, "LOGIN_BACKOFF_MAX_SECONDS", 300, 1, 86_400),
        password_min_score=_int(env, "PASSWORD_MIN_SCORE", 3, 0, 4),
        storefront_url=_url(env, "STOREFRONT_URL", "http://localhost:3000"),
        pii_keys=_keys(env, "PII_ENCRYPTION_KEYS"),
        avatar_max_bytes=_int(env, "AVATAR_MAX_BYTES", 5 * 1024 * 1024, 1024, 50 * 1024 * 1024),
        avatar_max_dimension=_int(env, "AVATAR_MAX_DIMENSION", 4096, 64, 20_000),
        mfa_required_roles=_roles(env, "MFA_REQUIRED_ROLES"),
        account_export_dir=env.get("ACCOUNT_EXPORT_DIR") or str(ROOT / "var" / "exports"),
        account_export_ttl_days=_int(env, "ACCOUNT_EXPORT_TTL_DAYS", 7, 1, 90),
        otp_ttl_seconds=_int(env, "OTP_TTL_SECONDS", 300, 30, 3600),
        otp_max_attempts=_int(env, "OTP_MAX_ATTEMPTS", 5, 1, 20),
        otp_resend_seconds=_int(env, "OTP_RESEND_SECONDS", 60, 0, 3600),
        otp_max_per_hour=_int(env, "OTP_MAX_PER_HOUR", 5, 1, 100),
        reviews_auto_approve_verified=_bool(env, "REVIEWS_AUTO_APPROVE_VERIFIED", True),
        reviews_report_hide_threshold=_int(env, "REVIEWS_REPORT_HIDE_THRESHOLD", 3, 1, 1000),
        review_image_max_bytes=_int(env, "REVIEW_IMAGE_MAX_BYTES", 8 * 1024 * 1024, 1024, 50 * 1024 * 1024),
        review_video_max_bytes=_int(env, "REVIEW_VIDEO_MAX_BYTES", 20 * 1024 * 1024, 1024, 200 * 1024 * 1024),
        video_max_bytes=_int(env, "VIDEO_MAX_BYTES", 50 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
        video_categories=_slugs(env, "VIDEO_CATEGORIES", VIDEO_CATEGORIES),
        loyalty_review_points=_int(env, "LOYALTY_REVIEW_POINTS", 50, 0, 100_000),
        loyalty_profile_points=_int(env, "LOYALTY_PROFILE_POINTS", 100, 0, 100_000),
        loyalty_points_expiry_days=loyalty_expiry_days,
        loyalty_point_value=_int(env, "LOYALTY_POINT_VALUE", 1, 1, 1000),
        wallet_min_withdrawal_minor=_int(env, "WALLET_MIN_WITHDRAWAL_MINOR", 1000, 1, 1_000_000_000),
        wallet_payout_provider=_slug(env, "WALLET_PAYOUT_PROVIDER", "manual"),
        delivery_days=_weekdays(env, "DELIVERY_DAYS", "mon,tue,wed,thu,fri,sat"),
        delivery_cutoff=_clock_time(env, "DELIVERY_CUTOFF", "14:00"),
        shop_timezone=_timezone(env, "SHOP_TIMEZONE", "UTC"),
        delivery_horizon_days=_int(env, "DELIVERY_HORIZON_DAYS", 30, 0, 365),
    )


_settings: Settings | None = None


def get() -> Settings:
    """The process-wide settings, loaded once from the environment."""
    global _settings
    if _settings is None:
        _settings = load()
    return _settings


def override(settings: Settings) -> None:
    """Replace the process-wide settings (tests and the embedded runner)."""
    global _settings
    _settings = settings
