"""The catalog: products, variants and images, stock in warehouses, live stock updates,
Shopify CSV imports, product reviews and the category tree (`categories`: reads and writes).

Modules: `products` (reads), `product_filters` (the product list's WHERE clause),
`product_attributes` (typed attributes per product kind: validation, filter rows), `product_collections`
(featured, popular), `search` (full-text product search with filters and sorts: `search_index` the
PostgreSQL tsvector / SQLite FTS5 SQL, `search_filters`, `facets` the disjunctive facet counts),
`autocomplete` (suggestions), `search_history` (saved searches, the popular-search rollup),
`list_totals` (the public list's cached totals), `product_writes` (create/update/upsert/archive, stock),
`variant_sets` (a list as a product's complete variant or image set), `slugs`,
`inventory` (levels and the conditional stock updates), `reservations` (carts holding stock
with a TTL), `stock_ledger` (a movement row per stock change), `stock_alerts` (low stock, back in
stock, live announcements of every change), `back_in_stock` (customers' "notify me" requests),
`inventory_views` (a variant's stock, the low-stock list), `inventory_reports` (the report job),
`warehouses`, `stock_live` (stock payloads and channels), `shopify_csv` (reading the file and its cells), `shopify`
(rows into products), `imports` (the `product_import` job), `reviews` (write, list, summaries,
who sees a review), `review_moderation` (the staff queue, approve/reject, reports, helpful votes),
`review_media` (review photos and videos), `seo` (automatic SEO fields, slugs on demand),
`customizations` (priced options on top of a variant: definitions and chosen sets),
`price_list` (seed 000's product pricing: base, discounted, wholesale),
`slug_redirects` (old slugs -> current ones), `sitemap` (the sitemap build job and its documents),
`weights` (selling by weight: step, minimum, grams per line),
`suppliers`, `purchase_orders` (draft -> sent -> received restocks), `reorder` (auto-reorder rules and job). Other packages import only the names below.
"""

from services.catalog.categories import (MAX_DEPTH, CategoryDetail, CategoryNode, category_tree, create_category,
                                         delete_category, flatten, get_category, subtree_ids, update_category)
from services.catalog.customizations import LIMITS as CUSTOMIZATION_LIMITS
from services.catalog.customizations import (CUSTOMIZATION_TYPES, choose_customizations, customization_key,
                                             customization_types,
                                             customizations_price, normalise_customizations)
from services.catalog.imports import check_store, import_payload, run_import_job
from services.catalog.back_in_stock import subscribe_back_in_stock, unsubscribe_back_in_stock
from services.catalog.inventory import (adjust_stock, release_allocated, release_stock, restock, set_stock, stock_levels,
                                        stocked_warehouses, take_allocated, take_stock, transfer_stock)
from services.catalog.inventory_reports import (finished_report, report_csv, run_inventory_report_job,
                                                start_inventory_report)
from services.catalog.inventory_views import low_stock, variant_inventory
from services.catalog.reservations import (DEFAULT_RESERVATION_MINUTES, MAX_RESERVATION_MINUTES, active_reservations,
                                           expire_reservations, release_reservations, release_rows, reservation_view,
                                           reserve_stock)
from services.catalog.stock_ledger import ledger_totals
from services.catalog.list_totals import clear as clear_list_totals
from services.catalog import product_attributes
from services.catalog.product_attributes import infer_kind, validate_attributes
from services.catalog.product_collections import POPULAR_WINDOW_DAYS, featured_products, popular_products
from services.catalog.product_filters import attribute_filter, filter_products
from services.catalog.price_list import product_pricing
from services.catalog.product_writes import (archive_product, create_product, set_product_stock, update_product,
                                             upsert_product)
from services.catalog.products import (MAX_PRICE, SORT_FIELDS, ImageRow, ProductView, VariantRow, get_product,
                                       list_products, load_views, product_view, with_category)
from services.catalog.purchase_orders import (PurchaseOrderView, cancel_purchase_order, create_purchase_order,
                                              get_purchase_order,
                                              list_purchase_orders, purchase_order_summary, purchase_order_view,
                                              receive_purchase_order, send_purchase_order, update_purchase_order)
from services.catalog.reasons import REASONS
from services.catalog.reorder import delete_rule as delete_reorder_rule
from services.catalog.reorder import list_rules as list_reorder_rules
from services.catalog.reorder import run_reorder_job
from services.catalog.reorder import set_rule as set_reorder_rule
from services.catalog.review_media import (MAX_MEDIA_PER_REVIEW, add_media, delete_media, delete_review, media_file,
                                           review_views)
from services.catalog.review_media import media_dir as review_media_dir
from services.catalog.review_moderation import (add_vote, approve_review, moderation_queue, reject_review,
                                                remove_vote, report_review)
from services.catalog.reviews import (MAX_BODY, MAX_TITLE, create_review, has_purchased, list_reviews, my_reviews,
                                      rating_summaries, review_view, update_review, visible_review)
from services.catalog.seo import SLUG_TYPES, seo_description, seo_title, suggest_slug
from services.catalog.shopify import ParsedProduct, RowIssue, parse_products
from services.catalog.autocomplete import suggest as autocomplete
from services.catalog.facets import PRICE_BUCKETS, RATING_BUCKETS
from services.catalog.search import SORTS as SEARCH_SORTS
from services.catalog.search import SearchResult, search_products
from services.catalog.search_filters import ATTRIBUTE_FACETS, FACETS, SearchFilters
from services.catalog.search_history import clear_history, normalize_query, popular_searches, save_search, search_history
from services.catalog.shopify_csv import MAX_UPLOAD_BYTES, CsvRejected, CsvTooLarge, count_handles, decode_upload
from services.catalog.shopify_csv import money as parse_money
from services.catalog.suppliers import create_supplier, delete_supplier, get_supplier, list_suppliers, update_supplier
from services.catalog.sitemap import INDEX as SITEMAP_INDEX
from services.catalog.sitemap import (build_sitemap, build_sitemap_task, empty_sitemap_index, request_sitemap_build, run_sitemap_job,
                                      sitemap_document)
from services.catalog.slug_redirects import current_slug
from services.catalog.slugs import RESERVED_HANDLES, free_slug, slugify
from services.catalog.stock_live import active_products, product_stock_views, publish_product_stock, stock_channel
from services.catalog.warehouse_admin import (create_warehouse, delete_warehouse, get_warehouse, list_warehouses,
                                              update_warehouse, warehouse_view)
from services.catalog.weights import (MAX_PIECE_GRAMS, WEIGHT_STEPS, apply_selling, line_weight,
                                      stock_units)
from services.catalog.warehouses import (DEFAULT_WAREHOUSE_ID, default_warehouse, default_warehouse_id, estimate_days,
                                         region_match, sellable_units, serving)

__all__ = [
    "MAX_PIECE_GRAMS", "WEIGHT_STEPS", "apply_selling", "line_weight", "stock_units",
    "customization_types",
    "create_warehouse", "delete_warehouse", "estimate_days", "get_warehouse", "list_warehouses", "release_allocated",
    "region_match", "sellable_units", "serving", "take_allocated", "transfer_stock", "update_warehouse",
    "warehouse_view",
    "PurchaseOrderView", "cancel_purchase_order", "create_purchase_order", "get_purchase_order", "list_purchase_orders",
    "purchase_order_summary", "purchase_order_view", "receive_purchase_order", "send_purchase_order",
    "update_purchase_order", "delete_reorder_rule", "list_reorder_rules", "run_reorder_job", "set_reorder_rule",
    "create_supplier", "delete_supplier", "get_supplier", "list_suppliers", "update_supplier",
    "DEFAULT_RESERVATION_MINUTES", "MAX_RESERVATION_MINUTES", "active_reservations", "expire_reservations",
    "finished_report", "ledger_totals", "low_stock", "release_reservations", "release_rows", "report_csv",
    "reservation_view",
    "reserve_stock", "restock", "run_inventory_report_job", "start_inventory_report", "subscribe_back_in_stock",
    "unsubscribe_back_in_stock", "variant_inventory",
    "CUSTOMIZATION_LIMITS", "CUSTOMIZATION_TYPES", "choose_customizations", "customization_key", "customizations_price",
    "normalise_customizations", "product_pricing",
    "SITEMAP_INDEX", "SLUG_TYPES", "build_sitemap", "build_sitemap_task", "current_slug", "empty_sitemap_index", "request_sitemap_build", "run_sitemap_job", "seo_description",
    "seo_title", "sitemap_document", "suggest_slug",
    "CategoryDetail", "CategoryNode", "MAX_DEPTH", "category_tree", "create_category", "delete_category", "flatten",
    "get_category", "subtree_ids", "update_category",
    "DEFAULT_WAREHOUSE_ID", "MAX_BODY", "MAX_MEDIA_PER_REVIEW", "MAX_PRICE", "MAX_TITLE", "MAX_UPLOAD_BYTES", "REASONS",
    "RESERVED_HANDLES", "SORT_FIELDS", "CsvRejected", "CsvTooLarge", "ImageRow", "ParsedProduct", "ProductView",
    "RowIssue", "VariantRow", "active_products", "adjust_stock", "archive_product", "check_store", "clear_list_totals",
    "count_handles",
    "create_product", "create_review", "decode_upload", "default_warehouse", "default_warehouse_id",
    "delete_review", "get_product", "has_purchased", "import_payload", "list_products", "list_reviews",
    "load_views", "parse_money", "parse_products", "product_stock_views", "product_view", "publish_product_stock",
    "rating_summaries", "release_stock", "review_view", "run_import_job", "set_product_stock", "set_stock",
    "free_slug",
    "slugify", "stock_channel", "stock_levels", "stocked_warehouses", "take_stock", "update_product", "update_review",
    "upsert_product",
    "with_category", "autocomplete", "PRICE_BUCKETS", "RATING_BUCKETS", "SEARCH_SORTS", "SearchResult",
    "search_products", "ATTRIBUTE_FACETS", "FACETS", "SearchFilters", "clear_history", "normalize_query",
    "popular_searches", "save_search", "search_history", "attribute_filter", "filter_products", "product_attributes", "infer_kind", "validate_attributes", "POPULAR_WINDOW_DAYS", "featured_products", "popular_products", "add_media", "add_vote", "approve_review", "delete_media", "media_file", "moderation_queue",
    "my_reviews", "reject_review", "remove_vote", "report_review", "review_media_dir", "review_views", "visible_review",
]
