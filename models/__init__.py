"""Peewee models, one module per domain; `ALL_MODELS` in dependency order."""

from models.carts import Cart, CartItem, DiscountCode
from models.catalog import Category, InventoryLevel, Product, ProductImage, Store, Variant, Warehouse
from models.jobs import IdempotencyKey, Job
from models.orders import Order, OrderCounter, OrderItem, Payment, StripeEvent
from models.users import RefreshToken, User

ALL_MODELS = [
    User, RefreshToken,
    Store, Category, Product, ProductImage, Variant, Warehouse, InventoryLevel,
    DiscountCode, Cart, CartItem,
    OrderCounter, Order, OrderItem, Payment, StripeEvent,
    Job, IdempotencyKey,
]
