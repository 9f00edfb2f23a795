"""Queue `bulk`: catalog imports, auto-reorder purchase orders, bulk wishlist operations, account data exports and erasures,
inventory reports, analytics rollups."""

from services import analytics, catalog, customers
from workers.actor import job_actor

import_products = job_actor("product_import", "import_products", catalog.run_import_job)
run_wishlist_bulk = job_actor("wishlist_bulk", "run_wishlist_bulk", customers.run_wishlist_bulk_job)
export_account_data = job_actor("account_export", "export_account_data", customers.run_export_job)
reorder_stock = job_actor("purchase_reorder", "reorder_stock", catalog.run_reorder_job)
erase_account = job_actor("account_erasure", "erase_account", customers.run_erasure_job)
build_inventory_report = job_actor("inventory_report", "build_inventory_report", catalog.run_inventory_report_job)
roll_up_analytics = job_actor("analytics_rollup", "roll_up_analytics", analytics.run_rollup_job)
