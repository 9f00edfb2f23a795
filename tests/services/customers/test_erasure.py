"""Erasing an account (services.customers.erasure): at the request the account is disabled and
signed out at once; the job leaves no personal data in any table (checked on the raw stored
values of every table), keeps the orders with their totals, anonymised, keeps the loyalty ledger
summing to the balance, and does nothing more when run again; the password (and the MFA code) is
required and the last active admin is refused."""

from __future__ import annotations

import pytest

from models import ALL_MODELS
from models.audit import AuditEntry
from models.db import atomic, database
from models.jobs import Job, QueueConsumption
from models.loyalty import LoyaltyAccount, LoyaltyTransaction
from models.orders import Order, OrderItem, Payment
from models.reviews import Review
from models.users import AuthSession, User
from services import catalog, customers
from services.customers import erasure
from services.errors import AuthenticationFailed, Conflict, TransientError, ValidationFailed
from services.platform import JobCancelled, jobs
from tests.factories import make_user
from tests.services.customers.test_data_export import private_exports  # noqa: F401 (the fixture)
from tests.services.customers.test_data_export import (PASSWORD, Ctx, all_jobs_finished, earned_points, export,
                                                       rich_customer, run)

pytestmark = pytest.mark.usefixtures("private_exports")


def raw_rows(but_job: str | None = None) -> str:
    """Every stored value of every table, as the database holds it (ciphertext stays ciphertext);
    `but_job`: without that job's row (its own attempt changes it). `queue_consumption` is left
    out: the worker's keep-alive thread stamps it on its own schedule (no personal data), which
    made a re-run look like a change on PostgreSQL with a real worker."""
    dump = []
    for model in ALL_MODELS:
        if model is QueueConsumption:
            continue
        cursor = database.execute_sql(f'SELECT * FROM "{model._meta.table_name}"')
        dump.extend(repr(row) for row in cursor.fetchall() if not (model is Job and row[0] == but_job))
    return "\n".join(dump)


def decrypted_rows() -> str:
    """Every row of every table as the models read it (encrypted columns decrypted)."""
    return "\n".join(repr(row) for model in ALL_MODELS for row in model.select().dicts())


def leftovers(pii: dict) -> dict:
    """The personal values still found in the raw or the decrypted rows (name -> value); {} when none is."""
    text = (raw_rows() + decrypted_rows()).lower()
    return {name: value for name, value in pii.items() if value.lower() in text}


def erase(user: User, password: str = PASSWORD, code: str | None = None) -> Job:
    job = customers.request_erasure(User.get_by_id(user.id), password, code)
    assert job.type == "account_erasure" and job.owner_id is None
    return job


def test_erasure_leaves_no_personal_data_in_any_table_and_keeps_the_orders_totals(api):
    me = rich_customer(api)
    someone = rich_customer(api)
    export(me.user)  # an export file of theirs, to be deleted too
    order = Order.get_by_id(me.order_id)
    items = [(i.variant_id, i.quantity, i.total_price) for i in OrderItem.select().where(OrderItem.order == order.id)]
    assert leftovers(me.pii) == me.pii  # every value is stored somewhere before
    assert {"email", "first_name", "last_name", "order_email", "order_street", "order_phone"} <= set(
        {name for name, value in me.pii.items() if value.lower() in raw_rows().lower()})  # some in plain text

    points = earned_points(me.user.id)
    job = erase(me.user, code=me.recovery_codes[0])
    result = run(job, customers.run_erasure_job)
    assert jobs.succeed(job.id, result)

    assert leftovers(me.pii) == {}
    assert leftovers(someone.pii) == someone.pii  # nobody else's data was touched
    assert result["alreadyErased"] is False and result["anonymised"]["user"] == 1
    assert result["anonymised"]["orders"] == 1 and result["anonymised"]["reviews"] == 1
    assert result["deleted"]["addresses"] == 1 and result["deleted"]["profiles"] == 1
    assert result["deleted"]["carts"] == 2 and result["deleted"]["exportFiles"] == 1
    assert result["deleted"]["notifications"] >= 3 and result["loyaltyPointsForfeited"] == points

    user = User.get_by_id(me.user.id)
    assert user.email == f"deleted-{user.id}@erased.invalid" and user.first_name == "Deleted user"
    assert (user.last_name, user.phone, user.is_active, user.role) == ("", None, False, "customer")
    kept = Order.get_by_id(order.id)
    assert (kept.subtotal, kept.tax, kept.shipping, kept.total, kept.status, kept.customer_id) == \
        (order.subtotal, order.tax, order.shipping, order.total, order.status, user.id)
    assert kept.customer_email == user.email and kept.notes == "" and kept.client_ip is None
    assert kept.shipping_address == {"country": "JO", "city": "Amman"} == kept.billing_address
    assert [(i.variant_id, i.quantity, i.total_price) for i in OrderItem.select().where(OrderItem.order == order.id)] \
        == items
    assert Payment.get(Payment.order == order.id).amount == order.total
    review = Review.select(Review, User).join(User).where(Review.user == user.id).get()
    # the order was paid, not delivered: not a verified purchase
    assert (review.rating, review.title, review.body, review.is_verified_purchase) == (5, "", "", False)
    assert catalog.review_view(review)["author"] == "Deleted user"

    account = LoyaltyAccount.get(LoyaltyAccount.user == user.id)
    lines = list(LoyaltyTransaction.select().where(LoyaltyTransaction.account == account.id))
    assert account.points_balance == 0 == sum(line.points for line in lines)
    forfeits = [(line.points, line.balance_after) for line in lines if line.type == "adjust"]
    assert forfeits == [(-points, 0)]
    [entry] = AuditEntry.select().where(AuditEntry.action == "account.erased")
    assert (entry.actor_id, entry.target_type, entry.target_id) == (user.id, "user", user.id)
    assert me.pii["email"] not in repr(entry.after)
    with pytest.raises(AuthenticationFailed):
        customers.authenticate(me.pii["email"], PASSWORD)


def test_running_the_erasure_again_changes_nothing_and_says_so(api):
    user = make_user()
    job = erase(user)
    first = run(job, customers.run_erasure_job)
    before = raw_rows(but_job=job.id)
    again = run(job, customers.run_erasure_job)  # a crash before the job was recorded as finished
    assert raw_rows(but_job=job.id) == before
    assert again["alreadyErased"] is True and again["loyaltyPointsForfeited"] == 0
    assert set(again["deleted"].values()) == {0} and set(again["anonymised"].values()) == {0}
    assert first["anonymised"]["user"] == 1
    assert AuditEntry.select().where(AuditEntry.action == "account.erased").count() == 1


def test_at_the_request_the_account_is_disabled_and_signed_out_before_the_job_runs(api):
    user = make_user()
    signed_in = customers.issue_tokens(user)
    token_without_session = customers.issue_access_token(user)
    job = erase(user)
    assert Job.get_by_id(job.id).state == "queued"  # nothing ran yet
    with pytest.raises(AuthenticationFailed):
        customers.authenticate(user.email, PASSWORD)
    for token in (signed_in["accessToken"], token_without_session):
        with pytest.raises(AuthenticationFailed):
            customers.authenticate_access_token(token)
    with pytest.raises(AuthenticationFailed):
        customers.rotate_refresh_token(signed_in["refreshToken"])
    assert AuthSession.get_by_id(signed_in["sessionId"]).revoked_reason == "account_disabled"
    assert User.get_by_id(user.id).email == user.email  # the data goes with the job


def test_a_wrong_password_or_a_missing_or_wrong_mfa_code_changes_nothing(api):
    me = rich_customer(api)
    all_jobs_finished()
    with pytest.raises(AuthenticationFailed) as refused:
        erase(me.user, password="not-my-password", code=me.recovery_codes[0])
    assert refused.value.reason == "invalid_credentials"
    with pytest.raises(ValidationFailed) as refused:
        erase(me.user)
    assert refused.value.reason == "mfa_code_required"
    with pytest.raises(AuthenticationFailed) as refused:
        erase(me.user, code="000000")
    assert refused.value.reason == "invalid_mfa_code"
    assert User.get_by_id(me.user.id).is_active
    assert customers.authenticate_access_token(me.token)[0].id == me.user.id
    assert not Job.select().where(Job.type == "account_erasure").exists()


def test_the_last_active_admin_is_refused_and_another_admin_may_leave(api):
    admin = make_user(role="admin")
    disabled = make_user(role="admin")
    User.update(is_active=False).where(User.id == disabled.id).execute()
    with pytest.raises(Conflict) as refused:
        erase(admin)
    assert refused.value.reason == "last_admin"
    assert User.get_by_id(admin.id).is_active
    colleague = make_user(role="admin")
    erase(admin)
    assert not User.get_by_id(admin.id).is_active
    with pytest.raises(Conflict):
        erase(colleague)  # now the only one left


def test_the_job_waits_while_the_customers_own_jobs_are_unfinished(api):
    user = make_user()
    with atomic():
        busy = customers.start_export(user)
    job = erase(user)
    with pytest.raises(TransientError):
        run(job, customers.run_erasure_job)
    assert User.get_by_id(user.id).email == user.email
    jobs.claim(busy.id)
    jobs.fail(busy.id, {"code": "CONFLICT", "reason": "account_disabled", "message": "", "details": []})
    assert run(job, customers.run_erasure_job)["anonymised"]["user"] == 1


def test_a_cancel_before_the_commit_point_erases_nothing(api):
    user = make_user()
    job = erase(user)
    claimed = jobs.claim(job.id)
    jobs.request_cancel(claimed)
    with pytest.raises(JobCancelled):
        customers.run_erasure_job(claimed, Ctx())
    assert User.get_by_id(user.id).email == user.email


def test_the_placeholder_email_cannot_be_typed_at_sign_in():
    assert erasure.erased_email("usr_AbC") == "deleted-usr_AbC@erased.invalid"


def test_erasure_deletes_the_photos_of_the_customers_reviews(api, tmp_path):
    import dataclasses
    import io

    from PIL import Image

    import config
    from models.reviews import ReviewMedia

    config.override(dataclasses.replace(config.get(), media_dir=str(tmp_path / "media")))
    me = rich_customer(api)
    review = Review.get(Review.user == me.user.id)
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, format="PNG")
    catalog.add_media(User.get_by_id(me.user.id), review.id, out.getvalue())
    folder = catalog.review_media_dir(review.id)
    assert ReviewMedia.select().count() == 1 and any(folder.iterdir())

    job = erase(me.user, code=me.recovery_codes[1])
    result = run(job, customers.run_erasure_job)
    assert result["deleted"]["reviewMedia"] == 1 and result["deleted"]["reviewMediaFiles"] == 1
    assert ReviewMedia.select().count() == 0 and not folder.exists()


def test_erasure_blanks_card_messages_in_order_lines_and_keeps_chosen_options(api):
    from models.catalog import Product

    me = rich_customer(api)
    item = OrderItem.select().join(Order).where(Order.customer == me.user.id).first()
    Product.update(customizations=[
        {"code": "card-message", "label": "Card", "type": "text", "required": False, "price": 0, "maxLength": 200,
         "choices": [], "minLeadDays": None, "maxAheadDays": None},
        {"code": "vase", "label": "Vase", "type": "choice", "required": False, "price": 0, "maxLength": None,
         "choices": [{"value": "classic", "label": "Classic", "price": 1500}], "minLeadDays": None,
         "maxAheadDays": None}]).where(Product.id == item.product_id).execute()
    chosen = [{"code": "card-message", "label": "Card", "value": "Love you Sara Qasem", "price": 0},
              {"code": "vase", "label": "Vase", "value": "classic", "price": 1500}]
    OrderItem.update(customizations=chosen, product_snapshot={**item.product_snapshot, "customizations": chosen}).where(
        OrderItem.id == item.id).execute()

    run(erase(me.user, code=me.recovery_codes[1]), customers.run_erasure_job)
    after = OrderItem.get_by_id(item.id)
    assert [c["value"] for c in after.customizations] == ["", "classic"]
    assert [c["value"] for c in after.product_snapshot["customizations"]] == ["", "classic"]
    assert "Sara Qasem" not in raw_rows()
