"""The initial schema: every table of the walking skeleton (frozen list)."""

from models.carts import Cart, CartItem, DiscountCode
from models.catalog import Category, InventoryLevel, Product, ProductImage, Store, Variant, Warehouse
from models.jobs import IdempotencyKey, Job
from models.orders import Order, OrderCounter, OrderItem, Payment, StripeEvent
from models.users import RefreshToken, User

INITIAL_MODELS = [
    User, RefreshToken,
    Store, Category, Product, ProductImage, Variant, Warehouse, InventoryLevel,
    DiscountCode, Cart, CartItem,
    OrderCounter, Order, OrderItem, Payment, StripeEvent,
    Job, IdempotencyKey,
]


def migrate(database, migrator):
    database.create_tables(INITIAL_MODELS, safe=True)
