"""Account data export (GDPR articles 15 and 20, access and portability; issue 8 "Data
protection"): `POST /users/me/export` writes an `account_export` job (queue `bulk`) whose handler
puts everything Cartwheel holds about the customer into one JSON file that only they download.

- `start_export(user)` -> the job: the customer's unfinished export when there is one (at most one
  at a time: asking again answers the same job), else a new one owned by them. Call inside the
  request's transaction (web.jobview.submit, so `Idempotency-Key` works as on every job POST).
- `run_export_job(job, ctx)` -> the job's result `{"fileName", "sizeBytes", "sha256", "expiresAt",
  "downloadUrl", "format", "version"}`: `fileName` is the download's name, `sizeBytes` and `sha256`
  (hex) describe the file's bytes, `expiresAt` (ISO 8601, UTC) is `ACCOUNT_EXPORT_TTL_DAYS` after it
  was written. Raises Conflict (`account_disabled`) when the account was disabled or erased meanwhile.
- `export_file(user, job_id)` -> `ExportFile` (path, download name, sha256, size) of the customer's
  finished export. Raises NotFound (`export_not_found`: no such job, another customer's, not an
  export), Conflict (`export_not_ready`: still running; `export_failed`: failed or cancelled) and
  ExportExpired (410 `export_expired`: past `expiresAt`, or the file is gone).
- `purge_expired_exports(job, ctx, now)`: the hourly maintenance task (see Files).
- `remove_exports(user_id)`: deletes every export file of the user (the erasure does).

The document (`collect`): `{"format": "cartwheel.account-export", "version": 1, "exportedAt", "userId",
"account", "profile", "preferences", "notificationPreferences", "devices", "addresses", "sessions",
"mfa", "notifications", "orders", "carts", "wishlist", "reviews", "loyalty", "apiKeys", "auditLog"}`:
the account row (no password hash), the profile with its encrypted fields decrypted (the file is for
their owner), saved addresses (decrypted), devices, every sign-in session (device, IP, times; no
token), whether MFA is on (no secret, no recovery code), the saved notification switches (null: the
defaults apply) and every notification sent to them, their orders (the seed-004 order object with
items, payments and refunds), carts with their lines, wishlist items and share links (no token),
reviews, the loyalty balance with the whole ledger, an admin's API keys (no secret, no hint) and the
audit-log entries about their account or made by them. Left out on purpose: credentials (password
hash, TOTP secret, recovery-code hashes, refresh tokens, account links, API-key secrets, share
tokens), the bodies of account emails (`account.*` notifications: they carry sign-in and reset
links), the audit entries' before/after values (a staff member's entries hold other customers' data;
the export says what was done, when and to what), and any other customer's data.

Files: `<ACCOUNT_EXPORT_DIR>/<job id>.<first 16 hex digits of the sha256>.json` (folder mode 0700,
file 0600). The JSON is written to a temporary file in the same folder, flushed to disk and renamed
over the final name (`os.replace`, atomic), so nobody ever reads half a file; a retried attempt
writes a file of its own whose name matches the result that attempt records. The folder is not
MEDIA_DIR and no route serves it: only `export_file` opens it, for the job's owner. The purge task
deletes the files of finished jobs that expired, failed, were cancelled or were replaced by a later
attempt, files whose job is gone (retention) once older than the TTL, and temporary files older than
an hour; a file of a job still running is left alone. Several databases sharing one folder (tests,
a demo) never delete each other's live files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import config
from ml.artifacts import write_atomically
from models.audit import AuditEntry
from models.carts import Cart, CartItem
from models.db import atomic, is_postgres, isoformat, utcnow
from models.jobs import TERMINAL_STATES, Job
from models.loyalty import LoyaltyAccount, LoyaltyTransaction
from models.notifications import Notification, NotificationPreference
from models.orders import Order
from models.reviews import Review
from models.users import ApiKey, AuthSession, MfaFactor, User
from models.wishlists import WishlistItem, WishlistShare
from services import loyalty, orders
from services.customers.addresses import address_view, list_addresses
from services.customers.api_keys import key_view
from services.customers.profiles import devices_of, profile_of, profile_view
from services.customers.sessions import session_view
from services.errors import Conflict, DomainError, NotFound
from services.platform import JobContext, jobs

JOB_TYPE = "account_export"
FORMAT = "cartwheel.account-export"
VERSION = 1
DOWNLOAD_URL = "/api/v1/users/me/export/{job_id}"
STORED_FILE = re.compile(r"^(job_[A-Za-z0-9]{1,40})\.([0-9a-f]{16})\.json$")
TEMPORARY_FILE = re.compile(r"^\.job_[A-Za-z0-9]{1,40}\..+\.tmp$")
TEMPORARY_MAX_AGE = dt.timedelta(hours=1)  # a temporary file older than this was left by a dead attempt
LOOKUP_BATCH = 500  # job ids per query of the purge


class ExportExpired(DomainError):
    """The export existed and is no longer downloadable (410 Gone, RFC 9110 15.5.11): past its
    `expiresAt`, or its file was removed. Ask for a new one."""

    status = 410
    code = "GONE"
    reason = "export_expired"


@dataclass(frozen=True)
class ExportFile:
    """A finished export ready to send: `path` on disk, `file_name` to download it as, its
    `sha256` (hex) and `size` (bytes)."""

    path: Path
    file_name: str
    sha256: str
    size: int


def export_dir() -> Path:
    """`ACCOUNT_EXPORT_DIR` (default `<repo>/var/exports`)."""
    return Path(config.get().account_export_dir)


# --------------------------------------------------------------------------- requesting an export

def start_export(user: User) -> Job:
    """The caller's unfinished `account_export` job, or a new one (see the module docstring).
    Raises Conflict (`account_disabled`) for a disabled account."""
    with atomic():
        query = User.select(User.id, User.is_active).where(User.id == user.id)
        if is_postgres():  # one export request per user at a time (SQLite: its write lock)
            query = query.for_update("FOR NO KEY UPDATE")
        row = query.first()
        if row is None or not row.is_active:
            raise Conflict("This account is disabled", reason="account_disabled")
        unfinished = (Job.select().where(Job.type == JOB_TYPE, Job.owner_id == user.id,
                                         Job.state.not_in(TERMINAL_STATES))
                      .order_by(Job.created_at, Job.id).first())
        if unfinished is not None:
            return unfinished
        return jobs.create_job(JOB_TYPE, {"userId": user.id}, owner_id=user.id, total=2)


# --------------------------------------------------------------------------- the document

def _account(user: User) -> dict:
    return {"id": user.id, "email": user.email, "firstName": user.first_name, "lastName": user.last_name,
            "phone": user.phone or None, "role": user.role, "isActive": bool(user.is_active),
            "isVerified": bool(user.is_verified), "emailVerifiedAt": isoformat(user.email_verified_at),
            "lastLogin": isoformat(user.last_login_at), "passwordChangedAt": isoformat(user.password_changed_at),
            "createdAt": isoformat(user.created_at), "updatedAt": isoformat(user.updated_at)}


def _shopping_preferences(user: User) -> dict:
    profile = profile_of(user.id)
    return dict(profile.preferences or {}) if profile else {}


def _notification_preferences(user: User) -> dict | None:
    row = NotificationPreference.get_or_none(NotificationPreference.user == user.id)
    if row is None:
        return None
    return {"email": row.email, "sms": row.sms, "inApp": row.in_app, "categories": row.categories or {},
            "updatedAt": isoformat(row.updated_at)}


def _sessions(user: User) -> list[dict]:
    rows = AuthSession.select().where(AuthSession.user == user.id).order_by(AuthSession.created_at, AuthSession.id)
    return [{**{k: v for k, v in session_view(s).items() if k != "current"},
             "revokedAt": isoformat(s.revoked_at), "revokedReason": s.revoked_reason} for s in rows]


def _mfa(user: User) -> dict:
    factor = MfaFactor.get_or_none(MfaFactor.user == user.id)
    enabled = factor is not None and factor.confirmed_at is not None
    return {"enabled": enabled, "enabledAt": isoformat(factor.confirmed_at) if enabled else None,
            "recoveryCodesLeft": len(factor.recovery_codes or []) if enabled else 0}


def _notifications(user: User) -> list[dict]:
    rows = (Notification.select().where(Notification.user == user.id)
            .order_by(Notification.created_at, Notification.id))
    return [{"id": n.id, "channel": n.channel, "recipient": n.recipient, "event": n.event, "category": n.category,
             "subject": n.subject, "body": None if n.event.startswith("account.") else n.body,
             "status": n.status, "sentAt": isoformat(n.sent_at), "readAt": isoformat(n.read_at),
             "createdAt": isoformat(n.created_at)} for n in rows]


def _orders(user: User) -> list[dict]:
    rows = Order.select().where(Order.customer == user.id).order_by(Order.created_at, Order.id)
    return [orders.order_view(order) for order in rows]


def _carts(user: User) -> list[dict]:
    carts = list(Cart.select().where(Cart.customer == user.id).order_by(Cart.created_at, Cart.id))
    lines: dict[str, list[dict]] = {}
    if carts:
        for item in (CartItem.select().where(CartItem.cart.in_([c.id for c in carts]))
                     .order_by(CartItem.created_at, CartItem.id)):
            lines.setdefault(item.cart_id, []).append(
                {"id": item.id, "productId": item.product_id, "variantId": item.variant_id,
                 "quantity": item.quantity, "unitPrice": item.unit_price, "customizations": item.customizations or [],
                 "addedAt": isoformat(item.created_at)})
    return [{"id": c.id, "status": c.status, "currency": c.currency, "discountCode": c.discount_code,
             "items": lines.get(c.id, []), "createdAt": isoformat(c.created_at), "updatedAt": isoformat(c.updated_at),
             "expiresAt": isoformat(c.expires_at), "convertedAt": isoformat(c.converted_at)} for c in carts]


def _wishlist(user: User) -> dict:
    items = WishlistItem.select().where(WishlistItem.user == user.id).order_by(WishlistItem.created_at, WishlistItem.id)
    shares = WishlistShare.select().where(WishlistShare.user == user.id).order_by(WishlistShare.created_at)
    return {"items": [{"id": i.id, "productId": i.product_id, "priceAtAdd": i.price_at_add,
                       "addedAt": isoformat(i.created_at)} for i in items],
            "shareLinks": [{"id": s.id, "createdAt": isoformat(s.created_at), "revokedAt": isoformat(s.revoked_at)}
                           for s in shares]}


def _reviews(user: User) -> list[dict]:
    rows = Review.select().where(Review.user == user.id).order_by(Review.created_at, Review.id)
    return [{"id": r.id, "productId": r.product_id, "rating": r.rating, "title": r.title, "body": r.body,
             "isVerifiedPurchase": r.is_verified_purchase, "createdAt": isoformat(r.created_at),
             "updatedAt": isoformat(r.updated_at)} for r in rows]


def _loyalty(user: User) -> dict | None:
    account = LoyaltyAccount.get_or_none(LoyaltyAccount.user == user.id)
    if account is None:
        return None
    lines = (LoyaltyTransaction.select().where(LoyaltyTransaction.account == account.id)
             .order_by(LoyaltyTransaction.created_at, LoyaltyTransaction.id))
    return {"balance": account.points_balance, "lifetimeEarned": account.lifetime_earned,
            "lastActivityAt": isoformat(account.last_activity_at),
            "transactions": [loyalty.transaction_view(line) for line in lines]}


def _api_keys(user: User) -> list[dict]:
    rows = ApiKey.select().where(ApiKey.owner == user.id).order_by(ApiKey.created_at, ApiKey.id)
    return [{k: v for k, v in key_view(key).items() if k != "secretHint"} for key in rows]


def _audit_log(user: User) -> list[dict]:
    rows = (AuditEntry.select(AuditEntry.id, AuditEntry.action, AuditEntry.status, AuditEntry.actor_id,
                              AuditEntry.actor_role, AuditEntry.target_type, AuditEntry.target_id,
                              AuditEntry.created_at)
            .where(((AuditEntry.target_type == "user") & (AuditEntry.target_id == user.id))
                   | (AuditEntry.actor_id == user.id))
            .order_by(AuditEntry.created_at, AuditEntry.id))
    return [{"id": e.id, "action": e.action, "status": e.status, "byYou": e.actor_id == user.id,
             "actorRole": e.actor_role, "target": {"type": e.target_type, "id": e.target_id},
             "createdAt": isoformat(e.created_at)} for e in rows]


SECTIONS = {
    "account": _account,
    "profile": lambda user: profile_view(user, with_devices=False),
    "preferences": _shopping_preferences,
    "notificationPreferences": _notification_preferences,
    "devices": lambda user: devices_of(user.id),
    "addresses": lambda user: [address_view(a) for a in list_addresses(user)],
    "sessions": _sessions,
    "mfa": _mfa,
    "notifications": _notifications,
    "orders": _orders,
    "carts": _carts,
    "wishlist": _wishlist,
    "reviews": _reviews,
    "loyalty": _loyalty,
    "apiKeys": _api_keys,
    "auditLog": _audit_log,
}
"""Section name -> how to read it for a user (the document's keys after the header)."""


def collect(user: User, exported_at: dt.datetime | None = None) -> dict:
    """The export document of `user` (shape: the module docstring)."""
    document = {"format": FORMAT, "version": VERSION, "exportedAt": isoformat(exported_at or utcnow()),
                "userId": user.id}
    for name, read in SECTIONS.items():
        document[name] = read(user)
    return document


# --------------------------------------------------------------------------- the job

def _write(job_id: str, content: bytes) -> tuple[Path, str]:
    """Store `content` as the job's file (temporary file, fsync, atomic rename). Returns (path, sha256 hex)."""
    folder = export_dir()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    digest = hashlib.sha256(content).hexdigest()
    final = folder / f"{job_id}.{digest[:16]}.json"
    write_atomically(final, content)  # mode 0600
    return final, digest


def run_export_job(job: Job, ctx: JobContext) -> dict:
    """`account_export` job handler: collect, write the file, answer its description (module docstring)."""
    user = User.get_or_none(User.id == (job.payload or {}).get("userId"))
    if user is None or not user.is_active:
        raise Conflict("The account was disabled or erased; nothing was exported", reason="account_disabled")
    ctx.progress(0, 2, "Collecting your data")
    now = utcnow()
    content = json.dumps(collect(user, now), ensure_ascii=False, indent=2, default=str).encode("utf-8")
    ctx.progress(1, 2, "Writing the file")
    _, digest = _write(job.id, content)
    expires = now + dt.timedelta(days=config.get().account_export_ttl_days)
    return {"fileName": f"cartwheel-data-{user.id}-{now:%Y-%m-%d}.json", "sizeBytes": len(content),
            "sha256": digest, "expiresAt": isoformat(expires), "downloadUrl": DOWNLOAD_URL.format(job_id=job.id),
            "format": FORMAT, "version": VERSION}


# --------------------------------------------------------------------------- downloading

def _stored_path(job: Job) -> Path | None:
    """Where the file the succeeded job's result describes lives (None without a result)."""
    digest = (job.result or {}).get("sha256")
    return export_dir() / f"{job.id}.{digest[:16]}.json" if isinstance(digest, str) and len(digest) == 64 else None


def _expires_at(job: Job) -> dt.datetime | None:
    raw = (job.result or {}).get("expiresAt")
    try:
        return dt.datetime.strptime(raw, "%Y-%m-%dT%H:%M:%S.%fZ")
    except (TypeError, ValueError):
        return None


def _expired(job: Job, now: dt.datetime) -> bool:
    expires = _expires_at(job)
    return expires is None or expires <= now


def export_file(user: User, job_id: str, now: dt.datetime | None = None) -> ExportFile:
    """The caller's finished export `job_id`, ready to send (errors: the module docstring)."""
    job = Job.get_or_none(Job.id == job_id)
    if job is None or job.type != JOB_TYPE or job.owner_id != user.id:
        raise NotFound("Export not found", reason="export_not_found")
    if job.state in ("failed", "cancelled"):
        raise Conflict(f"This export {job.state}; request a new one", reason="export_failed")
    if job.state != "succeeded":
        raise Conflict("The export is not ready yet; poll its job", reason="export_not_ready",
                       details=[{"field": "jobId", "message": f"state {job.state}"}])
    path = _stored_path(job)
    if _expired(job, now or utcnow()) or path is None or not path.is_file():
        expired_at = (job.result or {}).get("expiresAt")
        raise ExportExpired("This export expired and was deleted; request a new one",
                            details=[{"field": "jobId", "message": f"expired at {expired_at}"}])
    return ExportFile(path=path, file_name=job.result["fileName"], sha256=job.result["sha256"],
                      size=job.result["sizeBytes"])


# --------------------------------------------------------------------------- removing files

def _stored_files() -> tuple[dict[str, list[Path]], list[Path]]:
    """({job id: [its export files]}, [temporary files]) of the export folder."""
    stored: dict[str, list[Path]] = {}
    temporary = []
    folder = export_dir()
    for path in (folder.iterdir() if folder.is_dir() else ()):
        match = STORED_FILE.match(path.name)
        if match:
            stored.setdefault(match.group(1), []).append(path)
        elif TEMPORARY_FILE.match(path.name):
            temporary.append(path)
    return stored, temporary


def _modified(path: Path) -> dt.datetime:
    return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc).replace(tzinfo=None)


def _unlink(path: Path) -> int:
    try:
        path.unlink()
        return 1
    except FileNotFoundError:  # a concurrent purge or erasure took it
        return 0


def purge_expired_exports(job: Job, ctx, now: dt.datetime) -> dict:
    """Maintenance task: delete the export files nobody may download any more (module docstring).
    Result: `{"exportFilesDeleted": n, "temporaryFilesDeleted": n, "ttlDays": days}`."""
    stored, temporary = _stored_files()
    ttl = dt.timedelta(days=config.get().account_export_ttl_days)
    ids = list(stored)
    known: dict[str, Job] = {}
    for start in range(0, len(ids), LOOKUP_BATCH):
        known.update((j.id, j) for j in Job.select().where(Job.id.in_(ids[start:start + LOOKUP_BATCH])))
    deleted = 0
    for job_id, paths in stored.items():
        row = known.get(job_id)
        if row is None:  # the job was purged (retention), or belongs to another database sharing the folder
            deleted += sum(_unlink(p) for p in paths if _modified(p) <= now - ttl)
            continue
        if row.state not in TERMINAL_STATES:
            continue  # still being written
        keep = _stored_path(row) if row.state == "succeeded" and not _expired(row, now) else None
        deleted += sum(_unlink(p) for p in paths if p != keep)
    stale = sum(_unlink(p) for p in temporary if _modified(p) <= now - TEMPORARY_MAX_AGE)
    return {"exportFilesDeleted": deleted, "temporaryFilesDeleted": stale, "ttlDays": ttl.days}


def remove_exports(user_id: str) -> int:
    """Delete every export file (temporary ones too) of `user_id`'s export jobs. Returns how many."""
    ids = {j.id for j in Job.select(Job.id).where(Job.type == JOB_TYPE, Job.owner_id == user_id)}
    stored, temporary = _stored_files()
    removed = sum(_unlink(p) for job_id, paths in stored.items() if job_id in ids for p in paths)
    return removed + sum(_unlink(p) for p in temporary if p.name.split(".")[1] in ids)
