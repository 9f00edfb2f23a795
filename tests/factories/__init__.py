"""Test factories, one module per domain, re-exported here (`from tests.factories import make_product`)."""

from tests.factories.catalog import first_variant, make_product, make_weight_product
from tests.factories.content import make_recipe
from tests.factories.customers import make_user, quick_user, token_for
from tests.factories.http import ApiClient, assert_error
from tests.factories.jobs import TERMINAL, dispatching, emit, fanout_job, notifications_of, wait_tree, wait_until
from tests.factories.orders import ADDRESS, card, checkout_body, fill_cart, place, place_order
from tests.factories.stores import make_store

__all__ = ["ADDRESS", "TERMINAL", "ApiClient", "assert_error", "card", "checkout_body", "dispatching", "emit",
           "fanout_job", "fill_cart", "first_variant", "make_product", "make_recipe", "make_store", "make_user",
           "make_weight_product", "notifications_of", "place", "place_order", "quick_user", "token_for", "wait_tree", "wait_until"]
