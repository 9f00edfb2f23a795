"""Issue 10's invariants after one mixed concurrent run (run on SQLite and on PostgreSQL):
customers race to check out with a promotion code that has fewer uses than customers and redeem
loyalty points meanwhile; then half of the orders are cancelled by their customers while staff
deliver the others (cash collected: paid, points earned) and refund them in parallel. Afterwards
stock, promotion uses, points and money add up."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from models.carts import DiscountCode
from models.catalog import InventoryLevel
from models.loyalty import LoyaltyAccount, LoyaltyTransaction
from models.orders import DiscountUse, Order, OrderItem, Refund
from tests.api.test_staff_refunds import delivered
from tests.factories import ApiClient, checkout_body, first_variant, make_product, quick_user, token_for
from tests.services.loyalty.helpers import account_with

CUSTOMERS = 8
PROMO_USES = 5
STOCK = 30


def test_stock_promo_uses_points_and_money_add_up_after_a_mixed_concurrent_run(app, api):
    staff = token_for(quick_user(role="staff"))
    assert api.post("/api/v1/promos", {"code": "RACE5", "type": "fixed_amount", "value": 500,
                                       "usageLimit": PROMO_USES}, token=staff)[0] == 201
    product = make_product(price=2000, stock=STOCK)
    variant = first_variant(product)
    customers = [quick_user() for _ in range(CUSTOMERS)]
    for user in customers:
        account_with(user, 1000)
    tokens = [token_for(user) for user in customers]

    def shop(i):
        client, token = ApiClient(app.test_client()), tokens[i]
        cart_id = client.post("/api/v1/cart", {"currency": "USD"}, token=token)[1]["data"]["id"]
        assert client.post(f"/api/v1/cart/{cart_id}/items", {"productId": product.id, "variantId": variant.id,
                                                             "quantity": 3}, token=token)[0] in (200, 201)
        client.post("/api/v1/checkout/discount", {"cartId": cart_id, "discountCode": "RACE5"}, token=token)
        redeemed = [client.post("/api/v1/loyalty/redeem", {"points": 300}, token=token)[0] for _ in range(2)]
        status, body, _ = client.post("/api/v1/orders", checkout_body(cart_id), token=token,
                                      headers={"Prefer": "wait=10"})
        job = body["data"] if status in (200, 202) else None
        if job is not None and job["state"] not in ("succeeded", "failed"):
            job = client.wait_job(job["id"], token=token, timeout=60)
        order_id = job["result"]["orderId"] if job and job["state"] == "succeeded" else None
        return order_id, redeemed

    with ThreadPoolExecutor(max_workers=CUSTOMERS) as pool:
        outcomes = list(pool.map(shop, range(CUSTOMERS)))
    placed = [(i, order_id) for i, (order_id, _) in enumerate(outcomes) if order_id]
    assert len(placed) >= PROMO_USES  # the others failed only because the code ran out
    assert all(codes == [201, 201] for _, codes in outcomes), outcomes

    def settle(k):
        i, order_id = placed[k // 2]
        client = ApiClient(app.test_client())
        if (k // 2) % 2:
            return client.put(f"/api/v1/orders/{order_id}/cancel", token=tokens[i])[0]
        if k % 2 == 0:
            delivered(client, staff, order_id)
            return 200
        return client.post(f"/api/v1/orders/{order_id}/refunds", {"amount": 1500}, token=staff)[0]

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(settle, range(2 * len(placed))))
    assert set(statuses) <= {200, 201, 409, 422}, statuses
    for (_, order_id), k in zip(placed, range(len(placed))):  # refunds refused before delivery: try again now
        if k % 2 == 0 and not Refund.select().where(Refund.order == order_id).exists():
            assert api.post(f"/api/v1/orders/{order_id}/refunds", {"amount": 1500}, token=staff)[0] == 201

    orders = list(Order.select().where(Order.id.in_([order_id for _, order_id in placed])))
    live = [o for o in orders if o.status != "cancelled"]
    # Stock: what is on hand plus what live orders took is what there was.
    taken = sum(item.quantity for item in OrderItem.select().where(OrderItem.order.in_([o.id for o in live])))
    assert InventoryLevel.get(InventoryLevel.variant == variant.id).quantity + taken == STOCK
    # Promotion uses: counted once per live order that used the code, never above the limit.
    code = DiscountCode.get(DiscountCode.code == "RACE5")
    with_code = [o for o in live if o.discount_code == "RACE5"]
    assert code.usage_count == len(with_code) == DiscountUse.select().where(DiscountUse.discount == code.id).count()
    assert code.usage_count <= PROMO_USES
    # Points: every balance is its ledger's sum, never negative; each customer redeemed 600.
    for user in customers:
        account = LoyaltyAccount.get(LoyaltyAccount.user == user.id)
        lines = list(LoyaltyTransaction.select().where(LoyaltyTransaction.account == account.id))
        assert account.points_balance == sum(line.points for line in lines) >= 0
        assert -sum(line.points for line in lines if line.type == "redeem") == 600
    # Money: a delivered order is paid; its refunds never exceed its total.
    for order in live:
        given = sum(r.amount for r in Refund.select().where(Refund.order == order.id, Refund.status == "succeeded"))
        assert given <= order.total and order.payment_status in ("paid", "partially_refunded", "refunded"), order
        assert given == 1500 and order.payment_status == "partially_refunded"
    for order in orders:
        if order.status == "cancelled":
            assert not Refund.select().where(Refund.order == order.id, Refund.status == "succeeded").exists()
