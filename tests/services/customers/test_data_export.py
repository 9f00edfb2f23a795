"""The account data export (services.customers.data_export): the file holds everything about the
customer, decrypted, and nothing about anyone else nor any credential; at most one unfinished
export per customer; a retried attempt writes a consistent file of its own; expired exports are
refused and purged; a disabled account exports nothing.

`rich_customer` (also used by the erasure and API tests) builds a customer with data in every
table an export reads, through the API and the services, with values of their own (unique per
test: the login backoff counts per account across the PostgreSQL pass)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import json
import secrets
from dataclasses import dataclass, field

import pyotp
import pytest
from PIL import Image

import config
from models.db import atomic, new_id, utcnow
from models.jobs import TERMINAL_STATES, Job
from models.loyalty import LoyaltyAccount, LoyaltyTransaction
from models.users import MfaFactor, RefreshToken, User
from services import catalog, customers, loyalty, orders
from services.customers import account_tokens, data_export
from services.errors import Conflict, NotFound
from services.platform import jobs
from tests.factories import checkout_body, dispatching, fill_cart, make_product, make_user, wait_until

PASSWORD = "correct-horse-9"


class Ctx:
    """A job context that records progress (handlers called directly, outside the worker)."""

    def __init__(self):
        self.steps = []

    def progress(self, completed=None, total=None, message=None):
        self.steps.append((completed, total, message))


@dataclass
class Customer:
    """A customer with data everywhere; `pii` are the personal values that must not survive an
    erasure (and must be in their export), each unique to this customer."""

    user: User
    token: str
    refresh_token: str
    session_id: str
    order_id: str
    product_id: str
    mfa_secret: str
    recovery_codes: list[str]
    pii: dict = field(default_factory=dict)


def _unique_phone() -> str:
    return "+96279" + "".join(secrets.choice("0123456789") for _ in range(7))


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def all_jobs_finished(timeout=30.0):
    wait_until(lambda: not Job.select().where(Job.state.not_in(TERMINAL_STATES)).exists(), timeout,
               "every job to finish")


def earned_points(user_id: str) -> int:
    """The rich customer's points: 59 for the order, plus the completed profile's and the
    (auto-approved, verified) review's when those rules are on."""
    reasons = {line.key.split(":")[1] for line in LoyaltyTransaction.select().join(LoyaltyAccount)
               .where(LoyaltyAccount.user == user_id)}
    settings = config.get()
    return 59 + (settings.loyalty_profile_points if "profile" in reasons else 0) \
        + (settings.loyalty_review_points if "review" in reasons else 0)


def rich_customer(api, avatar: bool = False) -> Customer:
    """A customer with a profile, an address, a session, MFA, a paid order (loyalty points), an open
    cart, a wishlist item, a review, notification preferences, notifications and a password-reset
    request; `avatar` also uploads a profile picture."""
    tag = new_id("x")[-10:]
    pii = {"email": f"zed.{tag.lower()}@example.com", "first_name": f"Zephyrine{tag}",
           "last_name": f"Quillfeather{tag}", "phone": _unique_phone(), "street": f"{tag} Xylophone Lane",
           "order_email": f"parcel.{tag.lower()}@example.net", "order_name": f"Marigold{tag}",
           "order_street": f"{tag} Obsidian Road", "order_phone": _unique_phone(), "review": f"Lovely, says {tag}"}
    user = customers.register_user(pii["email"], PASSWORD, pii["first_name"], pii["last_name"], phone=pii["phone"])
    status, body, _ = api.post("/api/v1/auth/login", {"email": pii["email"], "password": PASSWORD,
                                                      "deviceId": f"phone-{tag}", "platform": "ios"})
    assert status == 200, body
    tokens = body["data"]
    token = tokens["accessToken"]
    status, body, _ = api.put("/api/v1/users/profile", {"dateOfBirth": "1990-01-15", "skinType": "dry",
                                                        "location": {"city": "Irbid", "country": "JO"}}, token=token)
    assert status == 200, body
    status, body, _ = api.post("/api/v1/users/addresses", {
        "label": "Home", "firstName": pii["first_name"], "lastName": pii["last_name"], "street": pii["street"],
        "city": "Amman", "country": "JO", "postalCode": "11118", "phone": pii["phone"]}, token=token)
    assert status == 201, body
    status, body, _ = api.put("/api/v1/users/me/notification-preferences", {"smsNotifications": True}, token=token)
    assert status == 200, body
    if avatar:
        status, body, _ = api.call("POST", "/api/v1/users/upload-avatar", token=token,
                                   data={"avatar": (io.BytesIO(_png()), "me.png")}, content_type="multipart/form-data")
        assert status == 200, body

    product = make_product(name=f"Rose Oil {tag}", price=5900, stock=20)
    assert api.post("/api/v1/wishlist", {"productId": product.id}, token=token)[0] == 201
    cart_id = fill_cart(api, product, token=token)
    address = {"firstName": pii["order_name"], "lastName": pii["last_name"], "email": pii["order_email"],
               "phone": pii["order_phone"], "country": "JO", "city": "Amman", "street": pii["order_street"],
               "postalCode": "11195"}
    status, body, _ = api.post("/api/v1/orders", checkout_body(cart_id, shippingAddress=address,
                                                               notes=f"Ring {pii['order_name']}"),
                               token=token, headers={"Prefer": "wait=10"})
    assert status == 200 and body["data"]["state"] == "succeeded", body
    order_id = body["data"]["result"]["orderId"]
    all_jobs_finished()
    dispatching(lambda: orders.mark_paid(order_id))  # COD paid: the order.paid fan-out earns points
    fill_cart(api, product, quantity=2, token=token)  # an open cart
    catalog.create_review(user, product.id, 5, f"By {pii['first_name']}", pii["review"])
    assert api.post("/api/v1/auth/forgot-password", {"email": pii["email"]})[0] == 202

    setup = customers.start_mfa_setup(user)
    codes = customers.confirm_mfa_setup(user, pyotp.TOTP(setup["secret"]).now())
    all_jobs_finished()
    assert LoyaltyTransaction.get(LoyaltyTransaction.key == f"earn:order:{order_id}").points == 59
    assert loyalty.points_balance(user.id) == earned_points(user.id)
    return Customer(user=User.get_by_id(user.id), token=token, refresh_token=tokens["refreshToken"],
                    session_id=tokens["sessionId"], order_id=order_id, product_id=product.id,
                    mfa_secret=setup["secret"], recovery_codes=codes, pii=pii)


def other_customer(api) -> Customer:
    """Someone else, with a name, an address and an order of their own."""
    return rich_customer(api)


def run(job: Job, handler) -> dict:
    """Claim `job` and run `handler` on it as the worker would (without finishing it)."""
    claimed = jobs.claim(job.id) or Job.get_by_id(job.id)
    return handler(claimed, Ctx())


def export(user: User) -> tuple[Job, dict, bytes]:
    """Start, run and finish an export of `user`: (job, result, the file's bytes)."""
    with atomic():
        job = customers.start_export(user)
    result = run(job, customers.run_export_job)
    assert jobs.succeed(job.id, result)
    content = (data_export.export_dir() / f"{job.id}.{result['sha256'][:16]}.json").read_bytes()
    return Job.get_by_id(job.id), result, content


@pytest.fixture()
def private_exports(app, tmp_path):
    """ACCOUNT_EXPORT_DIR of this test's own (these tests run the handlers in this process), so a
    purge "a week later" here never touches the files of a test running elsewhere."""
    settings = config.get()
    config.override(dataclasses.replace(settings, account_export_dir=str(tmp_path / "exports")))
    yield tmp_path / "exports"
    config.override(settings)


def test_the_export_holds_the_customers_data_decrypted_and_nothing_of_anyone_else(api, private_exports):
    someone = other_customer(api)
    me = rich_customer(api)
    job, result, content = export(me.user)

    assert result["sizeBytes"] == len(content) and result["sha256"] == hashlib.sha256(content).hexdigest()
    assert result["downloadUrl"] == f"/api/v1/users/me/export/{job.id}"
    assert result["fileName"].startswith(f"cartwheel-data-{me.user.id}-") and result["fileName"].endswith(".json")
    document = json.loads(content)
    assert document["format"] == "cartwheel.account-export" and document["version"] == 1
    assert document["userId"] == me.user.id
    assert document["account"]["email"] == me.pii["email"] and document["account"]["phone"] == me.pii["phone"]
    assert "passwordHash" not in document["account"] and "password_hash" not in document["account"]
    profile = document["profile"]
    assert profile["dateOfBirth"] == "1990-01-15" and profile["skinType"] == "dry"  # decrypted
    assert profile["location"] == {"city": "Irbid", "country": "JO"}
    assert [a["street"] for a in document["addresses"]] == [me.pii["street"]]
    assert document["devices"][0]["deviceId"].startswith("phone-")
    assert [s["id"] for s in document["sessions"]] == [me.session_id]
    assert document["mfa"] == {"enabled": True, "enabledAt": document["mfa"]["enabledAt"], "recoveryCodesLeft": 10}
    assert document["notificationPreferences"]["sms"] is True
    [order] = document["orders"]
    assert order["id"] == me.order_id and order["shippingAddress"]["street"] == me.pii["order_street"]
    assert order["items"] and order["payments"][0]["provider"] == "cash_on_delivery"
    assert {c["status"] for c in document["carts"]} == {"converted", "active"}
    assert [i["productId"] for i in document["wishlist"]["items"]] == [me.product_id]
    assert [r["body"] for r in document["reviews"]] == [me.pii["review"]]
    assert document["loyalty"]["balance"] == earned_points(me.user.id)
    assert sum(line["points"] for line in document["loyalty"]["transactions"]) == document["loyalty"]["balance"]
    assert 59 in [line["points"] for line in document["loyalty"]["transactions"]]  # the order's
    assert {n["event"] for n in document["notifications"]} >= {"order.placed", "order.paid", "account.password_reset"}
    assert all(n["body"] is None for n in document["notifications"] if n["event"].startswith("account."))
    assert document["apiKeys"] == [] and document["auditLog"] == []

    text = content.decode("utf-8")
    for value in someone.pii.values():  # nothing of another customer
        assert value not in text, value
    assert someone.user.id not in text and someone.order_id not in text
    secrets_ = [me.user.password_hash, me.mfa_secret, me.refresh_token, *me.recovery_codes,
                *MfaFactor.get_by_id(me.user.id).recovery_codes,
                *[t.token_hash for t in RefreshToken.select().where(RefreshToken.user == me.user.id)],
                *[account_tokens.token_for(t) for t in me.user.account_tokens]]
    assert me.user.account_tokens.count() == 1
    for secret in secrets_:  # no credential: hashes, TOTP secret, tokens, reset links
        assert secret not in text, secret


def test_an_admins_export_lists_their_api_keys_without_secrets(api, private_exports):
    admin = make_user(role="admin")
    key, secret = customers.create_key(admin, "Warehouse sync", ["orders:read"])
    _, _, content = export(admin)
    [listed] = json.loads(content)["apiKeys"]
    assert listed["id"] == key.id and listed["scopes"] == ["orders:read"] and "secretHint" not in listed
    text = content.decode("utf-8")
    assert secret not in text and key.secret_hash not in text and "appSecret" not in text


def test_at_most_one_unfinished_export_per_customer(api, private_exports):
    user = make_user()
    with atomic():
        first = customers.start_export(user)
    with atomic():
        assert customers.start_export(user).id == first.id  # unfinished: the same job again
    jobs.succeed(first.id, run(first, customers.run_export_job))
    with atomic():
        second = customers.start_export(user)
    assert second.id != first.id and second.owner_id == user.id and second.type == "account_export"


def test_a_retried_attempt_writes_a_consistent_file_of_its_own_and_the_purge_drops_the_replaced_one(
        api, private_exports):
    user = make_user()
    with atomic():
        job = customers.start_export(user)
    first = run(job, customers.run_export_job)  # the worker dies before recording it...
    second = run(job, customers.run_export_job)  # ...and the retry runs again
    assert jobs.succeed(job.id, second)
    folder = data_export.export_dir()
    files = sorted(p.name for p in folder.glob(f"{job.id}.*"))
    assert files == sorted({f"{job.id}.{r['sha256'][:16]}.json" for r in (first, second)})  # no temporary file
    for result in (first, second):
        path = folder / f"{job.id}.{result['sha256'][:16]}.json"
        assert hashlib.sha256(path.read_bytes()).hexdigest() == result["sha256"]
        assert path.stat().st_size == result["sizeBytes"]
        assert oct(path.stat().st_mode & 0o777) == "0o600"
    found = customers.export_file(user, job.id)
    assert found.sha256 == second["sha256"] and hashlib.sha256(found.path.read_bytes()).hexdigest() == second["sha256"]

    customers.purge_expired_exports(None, Ctx(), utcnow())
    kept = [p.name for p in folder.glob(f"{job.id}.*")]
    assert kept == [found.path.name]


def test_an_expired_export_is_refused_and_its_file_purged(api, private_exports):
    user = make_user()
    job, result, _ = export(user)
    path = customers.export_file(user, job.id).path
    expires = dt.datetime.strptime(result["expiresAt"], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert dt.timedelta(days=6, hours=23) < expires - utcnow() <= dt.timedelta(days=7)  # ACCOUNT_EXPORT_TTL_DAYS
    later = expires + dt.timedelta(seconds=1)
    with pytest.raises(data_export.ExportExpired) as refused:
        customers.export_file(user, job.id, now=later)
    assert (refused.value.status, refused.value.reason) == (410, "export_expired")

    customers.purge_expired_exports(None, Ctx(), utcnow())
    assert path.is_file()  # not yet
    assert customers.purge_expired_exports(None, Ctx(), later)["exportFilesDeleted"] == 1
    assert not path.exists()
    with pytest.raises(data_export.ExportExpired):  # the file is gone: even before expiresAt
        customers.export_file(user, job.id)


def test_failed_and_unfinished_exports_and_other_customers_ids_are_refused(api, private_exports):
    user, other = make_user(), make_user()
    with atomic():
        job = customers.start_export(user)
    with pytest.raises(Conflict) as refused:
        customers.export_file(user, job.id)
    assert refused.value.reason == "export_not_ready"
    for stranger_job in (job.id, "job_doesnotexist"):
        with pytest.raises(NotFound) as refused:
            customers.export_file(other, stranger_job)
        assert (refused.value.status, refused.value.reason) == (404, "export_not_found")
    User.update(is_active=False).where(User.id == user.id).execute()  # disabled before the job ran
    with pytest.raises(Conflict) as refused:
        run(job, customers.run_export_job)
    assert refused.value.reason == "account_disabled"
    jobs.fail(job.id, refused.value.to_dict())
    with pytest.raises(Conflict) as refused:
        customers.export_file(user, job.id)
    assert refused.value.reason == "export_failed"
    assert not list(data_export.export_dir().glob(f"{job.id}.*"))


def test_loyalty_ledger_in_the_export_is_the_whole_ledger(api, private_exports):
    user = make_user()
    account = LoyaltyAccount.create(user=user, points_balance=0)
    for n in range(25):  # more than the 20 recent lines GET /loyalty shows
        LoyaltyTransaction.create(account=account, type="earn", points=1, balance_after=n + 1, key=f"t:{user.id}:{n}")
    LoyaltyAccount.update(points_balance=25).where(LoyaltyAccount.id == account.id).execute()
    _, _, content = export(user)
    assert len(json.loads(content)["loyalty"]["transactions"]) == 25
