"""Demo data for `make run`: an admin, the seed shops and the sample Shopify catalogs (`shops`)."""

from services.demo.shops import seed_demo_if_empty

__all__ = [
    "seed_demo_if_empty",
]
