"""Demo data for `make run`: an admin, the category tree (`categories`), the seed shops and the
sample Shopify catalogs (`shops`), earn projects and the demo customers' wallets (`wallet`)."""

from services.demo.categories import seed_categories
from services.demo.shops import seed_demo_if_empty

__all__ = [
    "seed_categories", "seed_demo_if_empty",
]
