"""Carts (seed 004 section 2): create, read, add/update/remove items, clear.

A guest cart (no customer) is reachable by anyone holding its id; a
customer's cart only by that customer and staff (others get 404). Writes to
a converted or expired cart are refused (409): every write re-reads the cart
row inside its own transaction (`lock_cart`: `SELECT ... FOR UPDATE` on
PostgreSQL, SQLite's write lock otherwise) and checks it there, so a write
racing a checkout (which locks the same row) either lands before the order
is placed or is refused. Adding checks stock (409 `out_of_stock`) and the
per-line maximum `MAX_ITEM_QUANTITY` (422). Archived variants (see
`services.catalog`) cannot be added and their lines are not shown.
Item prices are re-read from the variant on every read and write.

Customizations (seed 001, services.catalog.customizations): an add may choose the product's
customizations, checked against its definitions (422, nothing written); the same variant with
another chosen set is another line (unique on cart, variant and the set's key), the same set
adds to the line's quantity, and a quantity update keeps the line's set. Reads re-price the
set at the product's current definitions; a set that no longer fits them (an option removed,
a choice withdrawn, a date now out of its window) keeps the prices it was added with and is
reported in `CartLine.problems`, which makes checkout refuse the cart (409
`customizations_changed`). Stock is per variant: every stock check counts all of the cart's
lines of the variant. A line's unit price is services.orders.pricing.unit_price (wholesale
price for a customer of the `wholesale` group).

Selling by weight (seed 003, services.catalog.weights): a line of a variant sold by weight
chooses a `weight` per piece (grams, a multiple of the variant's step, at least its minimum;
default the minimum) and a `quantity` of pieces; its unit price is one piece's
(services.orders.pricing: round_half_up(price per kg x grams / 1000)). A line is identified by
variant, weight and customizations: adding the same variant with the same weight and set adds
pieces to that line, another weight is another line (two 200 g pieces and one 500 g piece are
two lines), and an update changing a line's weight to one another line of the variant already
has is refused (409 `duplicate_cart_line`: update that line instead). A unit variant refuses a
`weight` (422 `weight_not_applicable`). Stock is counted in the variant's unit: a weight line
needs quantity x weight grams (`catalog.stock_units`), and every stock check, reservation count
and checkout allocation sums grams over the cart's lines of the variant.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import peewee

import config
from models.carts import Cart, CartItem, DiscountCode
from models.catalog import Product, ProductImage, Variant, Warehouse
from models.inventory import StockReservation
from models.db import atomic, is_postgres, isoformat, utcnow
from models.users import User
from services import catalog, content
from services.errors import Conflict, InsufficientStock, NotAllowed, NotFound, ValidationFailed
from services.orders import pricing
from services.orders.cart_live import publish_cart_changed
from services.orders.promotion_scope import eligible_subtotal


@dataclass
class CartLine:
    """One cart line joined with its variant, product, first image and stock on hand.

    `customizations` is the line's priced set `[{"code", "label", "value", "price"}]` (minor
    units per unit) at the product's current definitions, or as it was added when it no longer
    fits them; `problems` then lists why (`[{"field", "message"}]`, else []). `unit_price` is
    what one unit costs now (minor units, pricing.unit_price); `stock` is in the variant's stock
    unit (grams for a weight variant). For a weight line `price_per_kg` is the per-kilogram price
    it is charged (minor units; None for unit lines) and `item.weight_grams` its grams per piece."""

    item: CartItem
    variant: Variant
    product: Product
    image: str | None
    stock: int
    customizations: list = field(default_factory=list)
    unit_price: int = 0
    problems: list = field(default_factory=list)
    price_per_kg: int | None = None

    @property
    def weight(self) -> int | None:
        """Grams per piece of a weight line, None for a unit line."""
        return self.item.weight_grams or None

    @property
    def units(self) -> int:
        """Stock the line needs: pieces x grams for a weight line, else its quantity."""
        return catalog.stock_units(self.item.quantity, self.item.weight_grams)


def create_cart(user: User | None, currency: str | None = None, customer_id: str | None = None,
                source: str = "storefront") -> Cart:
    """A new empty cart for `user` (None: guest) in the shop currency; `source` one_click marks a
    one-click purchase's cart (services.orders.one_click), which is never the customer's cart.

    `customer_id` may only name the caller (or anyone, for staff): else NotAllowed.
    Raises ValidationFailed for a currency other than the shop's.
    """
    settings = config.get()
    currency = (currency or settings.currency).upper()
    if currency != settings.currency:
        raise ValidationFailed(f"This shop sells in {settings.currency}", reason="unsupported_currency",
                               details=[{"field": "currency", "message": f"Must be {settings.currency}"}])
    owner = user
    if customer_id is not None:
        if user is None or (customer_id != user.id and not user.is_staff):
            raise NotAllowed("You cannot create a cart for another customer", reason="not_your_customer")
        owner = User.get_or_none(User.id == customer_id)
        if owner is None:
            raise NotFound("Customer not found", reason="customer_not_found")
    now = utcnow()
    return Cart.create(customer=owner, currency=currency, source=source, created_at=now, updated_at=now,
                       expires_at=now + dt.timedelta(days=settings.cart_ttl_days))


def newest_active_cart(user_id: str) -> Cart | None:
    """The customer's newest active, unexpired cart (None when they have none)."""
    return (Cart.select().where(Cart.customer == user_id, Cart.status == "active", Cart.source == "storefront",
                                Cart.expires_at > utcnow())
            .order_by(Cart.updated_at.desc(), Cart.id.desc()).first())


def my_cart(user: User) -> tuple[Cart, bool]:
    """The signed-in `user`'s cart (seeds 001-003 `GET /cart`: one cart per customer): their newest
    active, unexpired cart, or a new empty one in the shop currency when they have none.
    Returns `(cart, created)`. The user's row is locked while looking (FOR UPDATE on PostgreSQL;
    `atomic()` holds SQLite's write lock), so concurrent calls agree on one cart."""
    with atomic():
        query = User.select(User.id).where(User.id == user.id)
        (query.for_update() if is_postgres() else query).first()
        cart = newest_active_cart(user.id)
        if cart is not None:
            return cart, False
        cart = create_cart(user)
        publish_cart_changed(cart)
        return cart, True


def get_cart(cart_id: str, user: User | None) -> Cart:
    """The cart if `user` may see it. Raises NotFound (also for someone else's cart)."""
    cart = Cart.get_or_none(Cart.id == cart_id)
    if cart is None or (cart.customer_id and not (user and (user.id == cart.customer_id or user.is_staff))):
        raise NotFound("Cart not found", reason="cart_not_found")
    return cart


def ensure_writable(cart: Cart) -> None:
    """Raise Conflict (409) unless `cart` is active and unexpired."""
    if cart.status != "active":
        raise Conflict(f"Cart is {cart.status}", reason="cart_not_active")
    if cart.expires_at < utcnow():
        raise Conflict("Cart has expired", reason="cart_expired")


def lock_cart(cart_id: str) -> Cart:
    """The cart row read fresh inside the caller's transaction, locked `FOR UPDATE` on
    PostgreSQL (SQLite's write lock, taken by `atomic()`, already serialises writers).
    Raises Cart.DoesNotExist."""
    query = Cart.select().where(Cart.id == cart_id)
    if is_postgres():
        query = query.for_update()
    return query.get()


def writable_cart(cart: Cart) -> Cart:
    """Inside a write's transaction: lock and re-read `cart`, check it is writable, and copy
    the fresh state onto the caller's object. Raises Conflict (409) like `ensure_writable`."""
    fresh = lock_cart(cart.id)
    cart.status, cart.expires_at, cart.discount_code = fresh.status, fresh.expires_at, fresh.discount_code
    cart.customer_id = fresh.customer_id
    ensure_writable(fresh)
    return fresh


def touch_cart(cart: Cart, **changes) -> None:
    """Mark a write to the cart: `updated_at`, with the cart's other `changes` (field=value, also
    set on `cart`) in the same UPDATE, and its customer's devices told (services.orders.cart_live)."""
    cart.updated_at = utcnow()
    for name, value in changes.items():
        setattr(cart, name, value)
    Cart.update(updated_at=cart.updated_at, **changes).where(Cart.id == cart.id).execute()
    publish_cart_changed(cart)


def check_quantity(quantity: int) -> None:
    """Raise ValidationFailed (422) unless 1 <= quantity <= MAX_ITEM_QUANTITY."""
    limit = config.get().max_item_quantity
    if quantity < 1:
        raise ValidationFailed("Quantity must be > 0", reason="invalid_quantity",
                               details=[{"field": "quantity", "message": "Must be at least 1"}])
    if quantity > limit:
        raise ValidationFailed(f"Quantity exceeds maximum allowed ({limit})", reason="quantity_too_large",
                               details=[{"field": "quantity", "message": f"At most {limit}"}])


def _check_stock(variant: Variant, quantity: int, cart_id: str | None = None) -> None:
    """Raise InsufficientStock unless `quantity` units (grams for a weight variant) are available to
    the cart (available units plus what the cart itself has reserved, services.catalog.reservations)."""
    available = catalog.stock_levels([variant.id], cart_id=cart_id)[variant.id]
    if quantity > available:
        unit = " g" if variant.sold_by == "weight" else ""
        raise InsufficientStock("Insufficient inventory", reason="out_of_stock",
                                details=[{"field": "quantity", "message": f"Only {available}{unit} available"}])


def _sold_variant(product_id: str, variant_id: str | None) -> Variant:
    """The variant to add: `variant_id` of the active product, or its first variant (archived
    variants are never sold). Raises ValidationFailed (400 `invalid_product` / `invalid_variant`)."""
    query = (Variant.select(Variant, Product).join(Product)
             .where(Product.id == product_id, Product.status == "active", Variant.archived_at.is_null()))
    variant = (query.where(Variant.id == variant_id) if variant_id else query.order_by(Variant.position)).first()
    if variant is None:
        if not Product.select().where(Product.id == product_id, Product.status == "active").exists():
            raise ValidationFailed("Invalid product ID", reason="invalid_product", status=400,
                                   details=[{"field": "productId", "message": "No such active product"}])
        raise ValidationFailed("Invalid variant ID", reason="invalid_variant", status=400,
                               details=[{"field": "variantId", "message": "No such variant of this product"}])
    return variant


def _wholesale(cart: Cart) -> bool:
    """Whether the cart's customer is in the `wholesale` customer group (guests never are: no read)."""
    if not cart.customer_id:
        return False
    return User.select(User.customer_group).where(User.id == cart.customer_id).scalar() == "wholesale"


def other_lines_quantity(cart: Cart, variant_id: str, item_id: str | None) -> int:
    """Stock units of `variant_id` in the cart's lines other than `item_id` (other customizations
    or weights): pieces, or for weight lines pieces x grams (`catalog.stock_units`)."""
    units = CartItem.quantity * peewee.Case(None, [(CartItem.weight_grams > 0, CartItem.weight_grams)], 1)
    query = CartItem.select(peewee.fn.COALESCE(peewee.fn.SUM(units), 0)).where(
        CartItem.cart == cart.id, CartItem.variant == variant_id)
    if item_id is not None:
        query = query.where(CartItem.id != item_id)
    return query.scalar() or 0


def _line_price(variant: Variant, priced: list[dict], wholesale: bool, weight_grams: int = 0) -> int:
    """Minor units of one unit (one piece of `weight_grams` grams for a weight line) of the line."""
    return pricing.unit_price(variant.price, variant.wholesale_price, wholesale, catalog.customizations_price(priced),
                              weight_grams)


def _price_per_kg(variant: Variant, wholesale: bool) -> int | None:
    """The per-kilogram price a weight line is charged (minor units), None for a unit variant."""
    if variant.sold_by != "weight":
        return None
    return pricing.base_price(variant.price, variant.wholesale_price, wholesale)


def add_to_cart(cart: Cart, product_id: str, variant_id: str | None, quantity: int,
                customizations: list[dict] | None = None, weight: int | None = None,
                source_video_id: str | None = None) -> Cart:
    """Add `quantity` of a variant (default: the product's only/first variant) with the chosen
    `customizations` (`[{"code", "value"}]`, default none), merging with the line of the same
    variant, the same weight and the same chosen set. For a variant sold by weight `quantity` is
    pieces of `weight` grams each (default: its minimum; services.catalog.line_weight); a unit
    variant refuses `weight`. `source_video_id` is the shoppable video the customer added it from
    (services.content.check_source_video: a published video showing the product, else 422
    `invalid_source_video`); it is kept on the line (the latest add naming one wins) and copied to
    the order line at checkout.

    One transaction, which first re-reads and locks the cart row. Raises Conflict
    (409 `cart_not_active` / `cart_expired`), ValidationFailed (400 `invalid_product` for an
    unknown or inactive product, `invalid_variant` for an unknown or archived variant, 422 for
    a bad quantity, weight (`weight_not_applicable`, `weight_below_minimum`,
    `weight_not_a_step_multiple`, `weight_too_large`) or customizations:
    services.catalog.choose_customizations), InsufficientStock (409, counting every line of the
    variant, in grams for a weight variant). Returns `cart` (its state refreshed).
    """
    for _ in range(2):
        try:
            with atomic():
                writable_cart(cart)
                check_quantity(quantity)
                variant = _sold_variant(product_id, variant_id)
                if source_video_id is not None:
                    content.check_source_video(source_video_id, variant.product_id)
                grams = catalog.line_weight(variant, weight)
                priced = catalog.choose_customizations(variant.product.customizations or [], customizations)
                key = catalog.customization_key(priced)
                # The variant's lines (usually none or one): the one to merge with, and the units of the others
                same_variant = list(CartItem.select().where(CartItem.cart == cart, CartItem.variant == variant))
                existing = next((line for line in same_variant if line.customization_key == key
                                 and line.weight_grams == grams), None)
                total_qty = quantity + (existing.quantity if existing else 0)
                check_quantity(total_qty)
                others = sum(catalog.stock_units(line.quantity, line.weight_grams) for line in same_variant
                             if line is not existing)
                _check_stock(variant, catalog.stock_units(total_qty, grams) + others, cart.id)
                price = _line_price(variant, priced, _wholesale(cart), grams)
                source = {"source_video_id": source_video_id} if source_video_id is not None else {}
                if existing:
                    CartItem.update(quantity=total_qty, unit_price=price, customizations=priced,
                                    updated_at=utcnow(), **source).where(CartItem.id == existing.id).execute()
                else:
                    CartItem.create(cart=cart, product=variant.product, variant=variant, quantity=quantity,
                                    unit_price=price, customizations=priced, customization_key=key,
                                    weight_grams=grams, **source)
                touch_cart(cart)
            return cart
        except peewee.IntegrityError:  # a concurrent add created the line first: merge into it
            continue
    raise Conflict("Cart changed concurrently; retry", reason="cart_busy")


def _item(cart: Cart, item_id: str) -> CartItem:
    item = CartItem.get_or_none(CartItem.id == item_id, CartItem.cart == cart)
    if item is None:
        raise NotFound("Cart item not found", reason="cart_item_not_found")
    return item


def update_cart_item(cart: Cart, item_id: str, quantity: int, weight: int | None = None) -> Cart:
    """Set a line's quantity (pieces for a weight line) and, for a weight line, optionally its
    `weight` per piece (grams; None keeps it); its customizations stay. One transaction that first
    re-reads and locks the cart row.

    Raises Conflict (409, cart not active or expired; `duplicate_cart_line` when another line of
    the variant with the same customizations already has that weight), NotFound, ValidationFailed
    (422: quantity, or weight as in `add_to_cart`), InsufficientStock (409, counting the cart's
    other lines of the variant). Returns `cart`.
    """
    with atomic():
        writable_cart(cart)
        item = _item(cart, item_id)
        check_quantity(quantity)
        variant = Variant.select(Variant, Product).join(Product).where(Variant.id == item.variant_id).get()
        grams = item.weight_grams if weight is None and item.weight_grams else catalog.line_weight(variant, weight)
        if grams != item.weight_grams and CartItem.select().where(
                CartItem.cart == cart.id, CartItem.variant == item.variant_id, CartItem.id != item.id,
                CartItem.customization_key == item.customization_key, CartItem.weight_grams == grams).exists():
            raise Conflict(f"Another line already has {grams} g pieces of this variant; update that line",
                           reason="duplicate_cart_line")
        _check_stock(variant, catalog.stock_units(quantity, grams)
                     + other_lines_quantity(cart, item.variant_id, item.id), cart.id)
        priced, _ = _repriced(item, variant.product)
        CartItem.update(quantity=quantity, weight_grams=grams,
                        unit_price=_line_price(variant, priced, _wholesale(cart), grams),
                        updated_at=utcnow()).where(CartItem.id == item.id).execute()
        touch_cart(cart)
    return cart


def remove_cart_item(cart: Cart, item_id: str) -> Cart:
    """Delete a line, in one transaction that first re-reads and locks the cart row.
    Raises Conflict (409, cart not active or expired), NotFound. Returns `cart`."""
    with atomic():
        writable_cart(cart)
        item = _item(cart, item_id)
        CartItem.delete().where(CartItem.id == item.id).execute()
        touch_cart(cart)
    return cart


def clear_cart(cart: Cart) -> None:
    """Remove every line and the discount code (the cart itself stays usable), in one
    transaction that first re-reads and locks the cart row. Raises Conflict (409)."""
    with atomic():
        writable_cart(cart)
        CartItem.delete().where(CartItem.cart == cart).execute()
        cart.discount_code, cart.updated_at = None, utcnow()
        Cart.update(discount_code=None, updated_at=cart.updated_at).where(Cart.id == cart.id).execute()
        publish_cart_changed(cart)


def load_lines(cart_id: str, with_images: bool = True) -> list[CartLine]:
    """The cart's lines with current variant data and the stock this cart may buy (available
    units: on hand minus reserved, plus what this cart's own active reservations hold),
    each priced (customizations re-checked, wholesale prices for a wholesale customer: `CartLine`),
    oldest line first (2 queries: the lines with their stock and the buyer's customer group, the
    images; with `with_images=False`, for checks that show no line, the first only and every line's
    `image` None). Lines of archived variants are left out."""
    held = (StockReservation.select(peewee.fn.COALESCE(peewee.fn.SUM(StockReservation.quantity), 0))
            .join(Warehouse)
            .where((StockReservation.cart == cart_id) & (StockReservation.variant == CartItem.variant)
                   & (Warehouse.active == True) & (StockReservation.status == "active")))  # noqa: E712
    on_hand = peewee.fn.COALESCE(catalog.sellable_units(CartItem.variant), 0) + peewee.fn.COALESCE(held, 0)
    rows = list(CartItem.select(CartItem.id, CartItem.quantity, CartItem.unit_price, CartItem.created_at,
                                CartItem.product, CartItem.variant, CartItem.customizations, CartItem.weight_grams,
                                CartItem.source_video_id,
                                Variant.id, Variant.name, Variant.sku, Variant.price, Variant.option_values,
                                Variant.weight_grams, Variant.wholesale_price, Variant.sold_by,
                                Product.id, Product.name, Product.handle, Product.status, Product.vendor,
                                Product.category, Product.store,
                                Product.customizations, on_hand.alias("on_hand"),
                                peewee.fn.COALESCE(User.customer_group, "").alias("buyer_group"))
                .join(Variant).switch(CartItem).join(Product).switch(CartItem)
                .join(Cart, on=(CartItem.cart == Cart.id))
                .join(User, peewee.JOIN.LEFT_OUTER, on=(Cart.customer == User.id))
                .where(CartItem.cart == cart_id, Variant.archived_at.is_null())
                .order_by(CartItem.created_at, CartItem.id))
    images = {}
    if rows and with_images:
        for image in ProductImage.select(ProductImage.product, ProductImage.url).where(
                ProductImage.product.in_({row.product_id for row in rows})).order_by(ProductImage.sort_order):
            images.setdefault(image.product_id, image.url)
    wholesale = bool(rows) and getattr(rows[0], "buyer_group", None) == "wholesale"  # guests: no group
    lines = []
    for row in rows:
        priced, problems = _repriced(row, row.product)
        lines.append(CartLine(row, row.variant, row.product, images.get(row.product_id),
                              getattr(row, "on_hand", None) or 0, priced,
                              _line_price(row.variant, priced, wholesale, row.weight_grams), problems,
                              _price_per_kg(row.variant, wholesale)))
    return lines


def _repriced(item: CartItem, product: Product) -> tuple[list[dict], list[dict]]:
    """A line's chosen set priced at the product's current definitions, and `[]`; or, when it
    no longer fits them, the set as it was added and the problems (`[{"field", "message"}]`)."""
    stored = item.customizations or []
    chosen = [{"code": c["code"], "value": c["value"]} for c in stored]
    try:
        return catalog.choose_customizations(product.customizations or [], chosen), []
    except ValidationFailed as exc:
        return stored, exc.details


def variant_quantities(lines: list[CartLine]) -> dict[str, int]:
    """Stock units per variant id over `lines` (lines of one variant with different customizations
    or weights add up; a weight line counts pieces x grams: `CartLine.units`)."""
    wanted: dict[str, int] = {}
    for line in lines:
        wanted[line.variant.id] = wanted.get(line.variant.id, 0) + line.units
    return wanted


def customization_problems(lines: list[CartLine]) -> list[dict]:
    """`[{"field": "items.<item id>.<path>", "message"}]` for every line whose customizations no
    longer fit the product's current definitions ([] when all fit)."""
    return [{"field": f"items.{line.item.id}.{problem['field']}", "message": problem["message"]}
            for line in lines for problem in line.problems]


def discount_for(cart: Cart) -> DiscountCode | None:
    """The promotion code on the cart (None: none, or deleted since)."""
    if not cart.discount_code:
        return None
    return DiscountCode.get_or_none(DiscountCode.code == cart.discount_code)


def cart_totals(cart: Cart, lines: list[CartLine], shipping_price: int | None = None) -> pricing.Totals:
    """Totals at the lines' current unit prices (customizations and wholesale prices included) with
    the cart's promotion code on the lines it applies to (see services.orders.pricing; its usage
    limits are checked by services.orders.promotions at checkout)."""
    code = discount_for(cart)
    return pricing.compute_totals([(line.unit_price, line.item.quantity) for line in lines], shipping_price,
                                  code, eligible_subtotal(code, lines) if code else None)


def cart_view(cart: Cart, lines: list[CartLine] | None = None) -> dict:
    """The seed-004 cart object: id, customerId, items[...], subtotal, tax, shipping, discount, total,
    currency, discountCode, itemCount, status, createdAt, updatedAt, expiresAt (money in minor units).
    An item's `unitPrice` includes its `customizations` (`[{"code", "label", "value", "price"}]`)
    and the wholesale price of a wholesale customer; `variant.available` says whether the stock
    covers all of the cart's lines of the variant. Every item has `soldBy` (unit | weight); a
    weight line's `quantity` is pieces, `weight` the grams per piece, `pricePerKg` the
    per-kilogram price (minor units) and `unitPrice` one piece's price; both are null for unit
    lines. `variant.inventoryCount` is in the variant's stock unit (grams for weight).
    `sourceVideoId`: the shoppable video the line was added from, or null. `lines`: the cart's
    lines when the caller has them (`[]` for a cart just created), else they are loaded."""
    if lines is None:
        lines = load_lines(cart.id)
    totals = cart_totals(cart, lines)
    wanted = variant_quantities(lines)
    items = [{
        "id": line.item.id, "productId": line.product.id, "variantId": line.variant.id,
        "storeId": line.product.store_id,
        "quantity": line.item.quantity, "unitPrice": line.unit_price,
        "totalPrice": line.unit_price * line.item.quantity, "customizations": line.customizations,
        "soldBy": line.variant.sold_by, "weight": line.weight, "pricePerKg": line.price_per_kg,
        "sourceVideoId": line.item.source_video_id,
        "product": {"name": line.product.name, "image": line.image, "slug": line.product.handle},
        "variant": {"name": line.variant.name, "sku": line.variant.sku,
                    "available": line.product.status == "active" and line.stock >= wanted[line.variant.id],
                    "inventoryCount": line.stock},
    } for line in lines]
    return {"id": cart.id, "customerId": cart.customer_id, "items": items, **totals.as_dict(),
            "currency": cart.currency, "discountCode": cart.discount_code, "status": cart.status,
            "createdAt": isoformat(cart.created_at), "updatedAt": isoformat(cart.updated_at),
            "expiresAt": isoformat(cart.expires_at)}
