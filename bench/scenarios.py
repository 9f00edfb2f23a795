"""What one operation of each bench scenario is (run by bench.loadgen, one coroutine per user).

| scenario | one operation | its latency |
|---|---|---|
| `browse` | `GET /products?page=P&limit=20` (P in 1..5) + `GET /products/{id}` | both requests |
| `cart` | `POST /cart/{id}/items` (each user fills a cart with 5 different products, then creates a new one: the creation is part of every 5th operation) | the add |
| `checkout_guest` | guest: `POST /cart`, add an item, `POST /orders` (cash on delivery, its own `Idempotency-Key`), follow the job until `succeeded` | the whole operation |
| `checkout_user` | a registered customer (logged in once, before the run) does the same, then `GET /orders/{id}` | the whole operation |
| `checkout_promo` | a registered customer: `POST /cart`, add an item, `POST /checkout/discount` (the seeded code `BENCH10`), `GET /loyalty/points`, `POST /orders` followed until `succeeded` | the whole operation |
| `checkout_open` | `checkout_guest` started at a fixed arrival rate (open loop) | from the planned arrival |
| `noop_jobs` | `POST /jobs/probes` (admin: a no-op `probe` job on the `maintenance` queue), followed until `succeeded` | the whole operation |
| `search` | `GET /products/search?q=...` (one or two words of the large shop's names, bench.large_shop), every other one `GET /products/search/advanced?q=...&sort=price&availability=in-stock` | the request |
| `autocomplete` | `GET /search/autocomplete?q=...`: the first 1-14 characters of a random large-shop name ("velvet rose b") | the request |
| `stores_nearby` | `GET /stores/nearby?lat=&lng=&radius=R&limit=20`: a random point of the city of the 10,000 bulk-seeded stores (bench.stores_geo), R 2-10 km, every other one without `radius` | the request |

Both search scenarios are anonymous, so repeated queries are served by the catalog cache as in
production (web.cache); the autocomplete prefixes end in random product numbers often enough
that most of the longer ones miss it. On the 100,000 products of `--large-shop` they are the
issue-9 measurements (autocomplete p99 target: 30 ms).

An operation counts only when everything in it answered as expected and its job (if any)
`succeeded`. Besides its latency, the job of each checkout and probe gives the timing
`checkout` (or `job`): from sending the POST (client wall clock) to the job's
`finishedAt` (server wall clock, the same machine, ms precision), which does not depend on
how often the client looks; `checkout seen` / `job seen` is until the client saw it.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from bench.client import Client, OperationFailed, wait_job
from bench.large_shop import ADJECTIVES, FORMS, NOUNS
from bench.stores_geo import CENTRE, spread_degrees
from tests.e2e.flows import order_body

PROMO_CODE = "BENCH10"  # seeded by bench.seed: 10 % off (at most 5.00), no usage limit

API = "/api/v1"
CART_LINES = 5  # products per cart in the `cart` scenario
LIST_PAGE_SIZE = 20


@dataclass
class Options:
    """How jobs are followed: `job_wait` is `poll` (polling, first after `poll_seconds`,
    backing off to `poll_max_seconds`: bench.client.wait_job) or `prefer` (`Prefer:
    wait=10` on the POST, then polling if it still answers 202); `job_timeout_seconds`
    bounds one job. (bench.loadgen turns `auto` into one of them.)"""

    job_wait: str = "auto"
    poll_seconds: float = 0.05
    poll_max_seconds: float = 0.4
    job_timeout_seconds: float = 30.0


@dataclass
class Context:
    """What every operation needs: the client, the seeded catalog (`products`:
    `[{"id", "variantId"}]`), customers (`[{"email", "token"}]`), an admin token."""

    client: Client
    products: list[dict]
    customers: list[dict] = field(default_factory=list)
    admin_token: str | None = None
    options: Options = field(default_factory=Options)
    rng: random.Random = field(default_factory=random.Random)


Operation = Callable[[Context, dict], Awaitable[float | None]]  # returns its own latency (ms) or None


@dataclass(frozen=True)
class Scenario:
    """A scenario: its operation, whether it runs open-loop, whether its operations are
    orders (database figures per order), and what a user starts with (`new_user`)."""

    name: str
    operation: Operation
    open_loop: bool = False
    orders: bool = False
    new_user: Callable[[Context, int], dict] = lambda ctx, index: {"index": index}


def parse_time(value: str) -> float:
    """`2025-01-15T10:00:00.123Z` (the API's times) as a Unix timestamp in seconds."""
    return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.timezone.utc).timestamp()


async def run_job(ctx: Context, name: str, path: str, body: dict | None, token: str | None, timing: str,
                  idempotent: bool) -> dict:
    """POST a job-creating request and follow its job until it succeeds; records the
    `timing` (POST sent to `finishedAt`) and `<timing> seen`. Returns the job."""
    options = ctx.options
    headers = {"Idempotency-Key": str(uuid.uuid4())} if idempotent else {}
    expect: tuple[int, ...] = (202,)
    if options.job_wait == "prefer":
        headers["Prefer"] = "wait=10"
        expect = (200, 202)
    posted = time.time()
    _, answer, _ = await ctx.client.call(name, "POST", API + path, json_body=body, token=token, headers=headers,
                                         expect=expect)
    job = await wait_job(ctx.client, answer["data"], token=token, poll_seconds=options.poll_seconds,
                         poll_max_seconds=options.poll_max_seconds, timeout_seconds=options.job_timeout_seconds)
    seen = time.time()
    if job["state"] != "succeeded":
        raise OperationFailed(f"{job['type']} job {job['id']} {job['state']}: {job.get('error')}")
    ctx.client.recorder.timing(timing, max(0.0, (parse_time(job["finishedAt"]) - posted) * 1000))
    ctx.client.recorder.timing(f"{timing} seen", (seen - posted) * 1000)
    return job


async def new_cart(ctx: Context, token: str | None) -> str:
    _, body, _ = await ctx.client.call("cart create", "POST", f"{API}/cart", json_body={"currency": "USD"},
                                       token=token, expect=(201,))
    return body["data"]["id"]


async def add_item(ctx: Context, token: str | None, cart_id: str, product: dict) -> None:
    await ctx.client.call("cart add", "POST", f"{API}/cart/{cart_id}/items", token=token,
                          json_body={"productId": product["id"], "variantId": product["variantId"], "quantity": 1})


async def browse(ctx: Context, user: dict) -> None:
    pages = min(5, max(1, math.ceil(len(ctx.products) / LIST_PAGE_SIZE)))
    await ctx.client.call("product list", "GET",
                          f"{API}/products?page={ctx.rng.randint(1, pages)}&limit={LIST_PAGE_SIZE}")
    await ctx.client.call("product detail", "GET", f"{API}/products/{ctx.rng.choice(ctx.products)['id']}")


async def cart(ctx: Context, user: dict) -> float:
    if user.get("cart") is None or user["lines"] >= min(CART_LINES, len(ctx.products)):
        user["cart"], user["lines"] = await new_cart(ctx, None), 0
        user["first"] = ctx.rng.randrange(len(ctx.products))
    product = ctx.products[(user["first"] + user["lines"]) % len(ctx.products)]
    started = time.perf_counter()
    await add_item(ctx, None, user["cart"], product)
    user["lines"] += 1
    return (time.perf_counter() - started) * 1000


async def checkout_guest(ctx: Context, user: dict) -> None:
    cart_id = await new_cart(ctx, None)
    await add_item(ctx, None, cart_id, ctx.rng.choice(ctx.products))
    await run_job(ctx, "order POST", "/orders", order_body(cart_id, "cash_on_delivery"), None, "checkout",
                  idempotent=True)


def customer_user(ctx: Context, index: int) -> dict:
    if not ctx.customers:
        raise RuntimeError("checkout_user needs seeded customers")
    return {"index": index, "token": ctx.customers[index % len(ctx.customers)]["token"]}


async def checkout_user(ctx: Context, user: dict) -> None:
    token = user["token"]
    cart_id = await new_cart(ctx, token)
    await add_item(ctx, token, cart_id, ctx.rng.choice(ctx.products))
    job = await run_job(ctx, "order POST", "/orders", order_body(cart_id, "cash_on_delivery"), token, "checkout",
                        idempotent=True)
    await ctx.client.call("order GET", "GET", f"{API}/orders/{job['result']['orderId']}", token=token)


async def checkout_promo(ctx: Context, user: dict) -> None:
    """A signed-in customer's checkout with the seeded promotion code (bench.seed.PROMO_CODE): the
    code is checked when applied and when the checkout starts, then its row is locked and its use
    recorded in the order transaction (services.orders.promotions); the customer's loyalty tier is
    read on the way (points are earned when the order is paid, not at checkout)."""
    token = user["token"]
    cart_id = await new_cart(ctx, token)
    await add_item(ctx, token, cart_id, ctx.rng.choice(ctx.products))
    await ctx.client.call("discount POST", "POST", f"{API}/checkout/discount", token=token,
                          json_body={"cartId": cart_id, "discountCode": PROMO_CODE}, expect=(200,))
    await ctx.client.call("loyalty GET", "GET", f"{API}/loyalty/points", token=token, expect=(200,))
    await run_job(ctx, "order POST", "/orders", order_body(cart_id, "cash_on_delivery"), token, "checkout",
                  idempotent=True)


async def noop_job(ctx: Context, user: dict) -> None:
    await run_job(ctx, "probe POST", "/jobs/probes", None, ctx.admin_token, "job", idempotent=False)


def search_text(rng: random.Random) -> str:
    """One or two words of the large shop's product names (bench.large_shop), e.g. "velvet rose"."""
    noun = rng.choice(NOUNS).lower()
    return f"{rng.choice(ADJECTIVES).lower()} {noun}" if rng.random() < 0.5 else noun


async def search(ctx: Context, user: dict) -> None:
    user["n"] = user.get("n", 0) + 1
    q = search_text(ctx.rng).replace(" ", "+")
    if user["n"] % 2:
        await ctx.client.call("search", "GET", f"{API}/products/search?q={q}&limit={LIST_PAGE_SIZE}")
    else:
        await ctx.client.call("search advanced", "GET", f"{API}/products/search/advanced?q={q}&sort=price"
                                                        f"&availability=in-stock&limit={LIST_PAGE_SIZE}")


async def autocomplete(ctx: Context, user: dict) -> None:
    rng = ctx.rng
    name = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} {rng.choice(FORMS)} {rng.randint(1, 99_999)}".lower()
    prefix = name[:rng.randint(1, 14)].rstrip() or name[0]
    await ctx.client.call("autocomplete", "GET", f"{API}/search/autocomplete?q={prefix.replace(' ', '+')}")


async def stores_nearby(ctx: Context, user: dict) -> None:
    rng = ctx.rng
    d_lat, d_lng = spread_degrees()
    lat = CENTRE[0] + (rng.random() - 0.5) * d_lat * 0.8  # inside the stores' square
    lng = CENTRE[1] + (rng.random() - 0.5) * d_lng * 0.8
    user["n"] = user.get("n", 0) + 1
    radius = f"&radius={rng.uniform(2, 10):.1f}" if user["n"] % 2 else ""
    await ctx.client.call("stores nearby", "GET", f"{API}/stores/nearby?lat={lat:.5f}&lng={lng:.5f}{radius}&limit=20")


SCENARIOS: dict[str, Scenario] = {s.name: s for s in [
    Scenario("browse", browse),
    Scenario("cart", cart),
    Scenario("checkout_guest", checkout_guest, orders=True),
    Scenario("checkout_user", checkout_user, orders=True, new_user=customer_user),
    Scenario("checkout_promo", checkout_promo, orders=True, new_user=customer_user),
    Scenario("checkout_open", checkout_guest, open_loop=True, orders=True),
    Scenario("noop_jobs", noop_job),
    Scenario("search", search),
    Scenario("autocomplete", autocomplete),
    Scenario("stores_nearby", stores_nearby),
]}
