"""Erasing an account (GDPR article 17; issue 8 "Data protection"): `DELETE /users/me`.

At the request, `request_erasure(user, password, code)`:

1. re-authentication: the current password (a phone-first account, which has none: a fresh SMS
   code, `otpCode`, from POST /auth/send-otp to its number), and, when MFA is on, a current TOTP
   or an unused recovery code (spent). Raises AuthenticationFailed (401 `invalid_credentials`,
   `invalid_otp`, `invalid_mfa_code`) or ValidationFailed (422 `mfa_code_required`: MFA is on
   and no code came; `otp_code_required`; `no_password`: neither a password nor a phone);
2. the last active admin is refused (409 `last_admin`: the shop would have nobody to run it);
3. in ONE transaction: the account is disabled (no sign-in, no refresh, and every access token,
   with or without a session, fails on its next request: services.customers.tokens), every
   session is revoked (`account_disabled`), and the `account_erasure` job (queue `bulk`, payload
   `{"userId"}`) is written. The job has no owner: the signed-out customer can still poll it by its
   unguessable id (`GET /jobs/{id}` without a token), as guests poll theirs.

The job, `run_erasure_job(job, ctx)`, waits (TransientError: retried with backoff, 8 attempts)
while any job the customer owns is unfinished (a checkout would otherwise write an order after
the erasure), then, in ONE transaction that is the job's commit point (`jobs.mark_committed`
inside it: a cancel that landed first stops the job with nothing erased, the account staying
disabled until an admin enables it; from then on a cancel is refused):

- deletes: the MFA factor, API keys, refresh tokens, sessions, account links (verification and
  reset), the profile, saved addresses, devices, notification preferences, notifications (the
  user's, and any sent to their email address or phone number) with the console provider's
  copies, wishlist items and share links, carts (with their lines; an order keeps its snapshot, its
  cart link becomes null), stored recommendations;
- anonymises the user row (kept, with its id and role, so every foreign key holds): email
  `deleted-<user id>@erased.invalid` (the reserved `.invalid` TLD: no mail can reach it, and no
  sign-in can type it: it keeps the id's capitals, sign-in lower-cases), names "Deleted user" and
  "", phone and its login-identity columns cleared, an unusable password hash, inactive and
  unverified, sign-in and verification times cleared;
- anonymises their orders (services.orders.anonymise_customer_orders): the order email becomes
  the placeholder, addresses keep only country, state, governorate and city (accounts and tax),
  notes and client IP go; status, totals, items, payments and refunds stay; the orders' fraud
  signals lose the email and IP (their hashed address key, card fingerprint and countries stay
  for fraud prevention);
- reviews keep their rating and verified-purchase flag (product ratings stay true) and lose their
  title and body (free text the person wrote); the author then reads "Deleted user";
- the payloads of their finished jobs (their checkouts' addresses, password-reset requests
  naming their email) are replaced by `{"redacted": true}` (services.platform.jobs.redact);
- loyalty points are forfeited with one `adjust` ledger line (services.loyalty.forfeit_points),
  so the ledger still sums to the balance (0);
- the audit log gets one entry `account.erased` (actor and target: the user id; `after`: the
  counts below, no personal data). Earlier audit entries are kept: the log is append-only (a
  PostgreSQL trigger refuses changes), its values are encrypted at rest, and it is the shop's
  record of staff actions.

After the commit it deletes the avatar files (`<MEDIA_DIR>/avatars/<user id>/`) and every export
file of the user (services.customers.data_export). Result: `{"userId", "alreadyErased",
"deleted": {name: rows or files}, "anonymised": {"user", "orders", "reviews", "fraudSignals",
"jobs"}, "loyaltyPointsForfeited"}`. Idempotent: a re-run (a crash before the job was recorded
as finished, a duplicate message) finds nothing left and reports zeros; a crash inside the
transaction rolls all of it back, so a retry's counts are the whole erasure's.
"""

from __future__ import annotations

import shutil

from peewee import fn

from models.carts import Cart
from models.db import atomic, is_postgres, utcnow
from models.fraud import FraudSignal
from models.jobs import TERMINAL_STATES, Job
from models.notifications import Notification, NotificationPreference, OutboxMessage
from models.orders import Order
from models.profiles import CustomerAddress, CustomerProfile, UserDevice
from models.recommendations import UserRecommendation
from models.reviews import Review, ReviewMedia
from models.encryption import lookup_hashes
from models.users import AccountToken, ApiKey, AuthSession, MfaFactor, OtpChallenge, RefreshToken, User
from models.wishlists import WishlistItem, WishlistShare
from services import catalog, loyalty, orders
from services.customers import mfa, otp_login, sessions
from services.customers.accounts import NO_PASSWORD, verify_password
from services.customers.avatars import avatar_dir
from services.customers.data_export import remove_exports
from services.errors import AuthenticationFailed, Conflict, NotFound, TransientError, ValidationFailed
from services.platform import JobCancelled, JobContext, audit, jobs

JOB_TYPE = "account_erasure"
ERASED_DOMAIN = "erased.invalid"
ERASED_NAME = "Deleted user"
UNUSABLE_PASSWORD = "!erased"  # not an Argon2 hash: no password ever verifies against it
ORDER_ADDRESS_KEPT = ("country", "state", "governorate", "city")
PHONE_COLUMNS = ("phone", "phone_hash", "phone_verified_at")  # the phone and, where present, its login identity


def erased_email(user_id: str) -> str:
    """The placeholder email of an erased account: `deleted-<user id>@erased.invalid`."""
    return f"deleted-{user_id}@{ERASED_DOMAIN}"


# --------------------------------------------------------------------------- the request

def _reauthenticate(user: User, password: str | None, code: str | None, otp_code: str | None = None) -> None:
    if user.password_hash == NO_PASSWORD:  # a phone-first account: a fresh SMS code instead of a password
        if not user.phone:
            raise ValidationFailed("This account has neither a password nor a phone number: set a password "
                                   "(forgot-password) first", reason="no_password")
        if not otp_code:
            raise ValidationFailed("This account has no password: ask for a code (POST /auth/send-otp) and send "
                                   "it as otpCode", reason="otp_code_required",
                                   details=[{"field": "otpCode", "message": "Required"}])
        if otp_login.verify_code(user.phone, otp_code)[0].id != user.id:
            raise AuthenticationFailed("That code is not valid", reason="invalid_otp")
    elif not verify_password(user, password or ""):
        raise AuthenticationFailed("The password is wrong", reason="invalid_credentials",
                                   details=[{"field": "password", "message": "Your current password"}])
    factor = mfa.factor_of(user.id)
    if factor is None:
        return
    if not code:
        raise ValidationFailed("MFA is on: send a current code of your authenticator app (or a recovery code)",
                               reason="mfa_code_required", details=[{"field": "code", "message": "Required"}])
    if not mfa.accept_code(factor, code):
        raise AuthenticationFailed("That code is not valid", reason="invalid_mfa_code",
                                   details=[{"field": "code", "message": "Not a current or unused code"}])


def _refuse_last_admin(user: User) -> None:
    """Raise Conflict (`last_admin`) when `user` is the only active admin (call inside the
    transaction: on PostgreSQL the active admins' rows stay locked, so two admins erasing
    themselves at once cannot both pass)."""
    if user.role != "admin":
        return
    query = User.select(User.id).where(User.role == "admin", User.is_active == True)  # noqa: E712
    if is_postgres():
        query = query.for_update()
    if not any(row.id != user.id for row in query):
        raise Conflict("You are the shop's only active admin: make someone else admin first", reason="last_admin")


def request_erasure(user: User, password: str | None, code: str | None = None, otp_code: str | None = None) -> Job:
    """Re-authenticate, then disable the account, revoke its sessions and write the
    `account_erasure` job, in one transaction. Returns the job (the caller dispatches it).
    Raises what the module docstring lists."""
    _reauthenticate(user, password, code, otp_code)
    with atomic():
        _refuse_last_admin(user)
        User.update(is_active=False, updated_at=utcnow()).where(User.id == user.id).execute()
        sessions.revoke_all_sessions(user.id, reason="account_disabled")
        return jobs.create_job(JOB_TYPE, {"userId": user.id})


# --------------------------------------------------------------------------- the job

def _delete(model, *where) -> int:
    return model.delete().where(*where).execute()


def _delete_rows(user: User) -> dict:
    """Delete the user's rows that are nothing but personal data; {name: rows deleted}."""
    uid = user.id
    mine = Notification.user == uid
    addresses = [a for a in (user.email, user.phone) if a]
    if addresses:
        mine |= Notification.recipient.in_(addresses)
    notification_ids = Notification.select(Notification.id).where(mine)
    return {
        "mfaFactors": _delete(MfaFactor, MfaFactor.user == uid),
        "apiKeys": _delete(ApiKey, ApiKey.owner == uid),
        "refreshTokens": _delete(RefreshToken, RefreshToken.user == uid),
        "sessions": _delete(AuthSession, AuthSession.user == uid),
        "accountTokens": _delete(AccountToken, AccountToken.user == uid),
        "profiles": _delete(CustomerProfile, CustomerProfile.user == uid),
        "addresses": _delete(CustomerAddress, CustomerAddress.user == uid),
        "devices": _delete(UserDevice, UserDevice.user == uid),
        "notificationPreferences": _delete(NotificationPreference, NotificationPreference.user == uid),
        "sentMessages": _delete(OutboxMessage, OutboxMessage.notification.in_(notification_ids)),
        "notifications": _delete(Notification, Notification.id.in_(notification_ids)),
        "wishlistItems": _delete(WishlistItem, WishlistItem.user == uid),
        "wishlistShares": _delete(WishlistShare, WishlistShare.user == uid),
        "carts": _delete(Cart, Cart.customer == uid),
        "recommendations": _delete(UserRecommendation, UserRecommendation.user_id == uid),
        "otpChallenges": _delete(OtpChallenge, OtpChallenge.phone_hash.in_(lookup_hashes(user.phone)))
        if user.phone else 0,
    }


def _redactable_jobs(user: User) -> list[str]:
    """Ids of jobs whose payload may name the user: theirs, their orders' checkouts, and event
    fan-outs whose payload holds their email or phone (a password-reset request)."""
    ids = [j.id for j in Job.select(Job.id).where(Job.owner_id == user.id)]
    ids += [o.job_id for o in Order.select(Order.job_id).where(Order.customer == user.id, Order.job_id.is_null(False))]
    for value in (user.email, user.phone):
        if value:  # (LOWER: a JSONField would JSON-encode the pattern)
            ids += [j.id for j in Job.select(Job.id).where(Job.type == "event_fanout",
                                                           fn.LOWER(Job.payload).contains(value.lower()))]
    return ids


def _anonymise(user: User) -> dict:
    """Anonymise what stays (user row, orders, their fraud signals, reviews, job payloads);
    {name: rows changed}."""
    email = erased_email(user.id)
    order_ids = Order.select(Order.id).where(Order.customer == user.id)
    changed = {
        "jobs": jobs.redact(_redactable_jobs(user)),
        "orders": orders.anonymise_customer_orders(user.id, email, ORDER_ADDRESS_KEPT),
        "fraudSignals": FraudSignal.update(email=email, email_domain=ERASED_DOMAIN, client_ip=None).where(
            FraudSignal.order.in_(order_ids), (FraudSignal.email != email) | FraudSignal.client_ip.is_null(False))
        .execute(),
        "reviews": Review.update(title="", body="").where(Review.user == user.id,
                                                          (Review.title != "") | (Review.body != "")).execute(),
    }
    cleared = {name: None for name in PHONE_COLUMNS if name in User._meta.fields}
    changed["user"] = User.update(
        email=email, first_name=ERASED_NAME, last_name="", password_hash=UNUSABLE_PASSWORD, is_active=False,
        is_verified=False, email_verified_at=None, last_login_at=None, password_changed_at=None,
        updated_at=utcnow(), **cleared).where(User.id == user.id,
                                              User.email.is_null() | (User.email != email)).execute()
    return changed


def _unfinished_jobs(user_id: str) -> bool:
    return Job.select(Job.id).where(Job.owner_id == user_id, Job.state.not_in(TERMINAL_STATES)).exists()


def _remove_avatars(user_id: str) -> int:
    return _remove_folder(avatar_dir(user_id))


def _remove_folder(folder) -> int:
    """Delete `folder` and its files; the number of files it held (0 when missing)."""
    if not folder.is_dir():
        return 0
    count = sum(1 for path in folder.rglob("*") if path.is_file())
    shutil.rmtree(folder, ignore_errors=True)
    return count


def run_erasure_job(job: Job, ctx: JobContext) -> dict:
    """`account_erasure` job handler (see the module docstring). Raises NotFound (`user_not_found`),
    TransientError while the user's own jobs are unfinished (retried), JobCancelled when a cancel
    landed before the commit point."""
    user = User.get_or_none(User.id == (job.payload or {}).get("userId"))
    if user is None:
        raise NotFound("User not found", reason="user_not_found")
    if _unfinished_jobs(user.id):
        raise TransientError("The account's own jobs are still running; the erasure waits for them")
    already = user.email == erased_email(user.id)
    with atomic():
        if not jobs.mark_committed(job.id):
            raise JobCancelled(job.id)
        review_ids = [r.id for r in Review.select(Review.id).where(Review.user == user.id)]
        deleted = _delete_rows(user)
        deleted["reviewMedia"] = (ReviewMedia.delete().where(ReviewMedia.review.in_(review_ids)).execute()
                                  if review_ids else 0)
        anonymised = _anonymise(user)
        forfeited = loyalty.forfeit_points(user.id, f"forfeit:erasure:{user.id}", "Forfeited: account erased")
        counts = {"deleted": deleted, "anonymised": anonymised, "loyaltyPointsForfeited": forfeited}
        if not already:
            audit.record(action="account.erased", status=200, actor_id=user.id, actor_role=user.role,
                         target_type="user", target_id=user.id, after={"jobId": job.id, **counts})
    deleted["avatarFiles"] = _remove_avatars(user.id)
    deleted["reviewMediaFiles"] = sum(_remove_folder(catalog.review_media_dir(r)) for r in review_ids)
    deleted["exportFiles"] = remove_exports(user.id)
    return {"userId": user.id, "alreadyErased": already, **counts}
