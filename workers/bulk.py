"""Queue `bulk`: catalog imports and bulk wishlist operations."""

from services import catalog, customers
from workers.actor import job_actor

import_products = job_actor("product_import", "import_products", catalog.run_import_job)
run_wishlist_bulk = job_actor("wishlist_bulk", "run_wishlist_bulk", customers.run_wishlist_bulk_job)
