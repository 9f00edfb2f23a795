"""The catalog: products, variants and images, stock in warehouses, live stock updates,
Shopify CSV imports, product reviews and the category tree (`categories`: reads and writes).

Modules: `products` (reads), `list_totals` (the public list's cached totals), `product_writes` (create/update/upsert/archive, stock),
`variant_sets` (a list as a product's complete variant or image set), `slugs`,
`inventory` (levels and the conditional stock updates), `warehouses`, `stock_live`
(stock payloads and channels), `shopify_csv` (reading the file and its cells), `shopify`
(rows into products), `imports` (the `product_import` job), `reviews` (write, list, summaries,
who sees a review), `review_moderation` (the staff queue, approve/reject, reports, helpful votes),
`review_media` (review photos and videos). Other packages import only the names below.
"""

from services.catalog.categories import (MAX_DEPTH, CategoryDetail, CategoryNode, category_tree, create_category,
                                         delete_category, flatten, get_category, subtree_ids, update_category)
from services.catalog.imports import check_store, import_payload, run_import_job
from services.catalog.inventory import adjust_stock, release_stock, set_stock, stock_levels, take_stock
from services.catalog.list_totals import clear as clear_list_totals
from services.catalog.product_writes import (archive_product, create_product, set_product_stock, update_product,
                                             upsert_product)
from services.catalog.products import (MAX_PRICE, SORT_FIELDS, ImageRow, ProductView, VariantRow, get_product,
                                       list_products, load_views, product_view, with_category)
from services.catalog.reasons import REASONS
from services.catalog.review_media import (MAX_MEDIA_PER_REVIEW, add_media, delete_media, delete_review, media_file,
                                           review_views)
from services.catalog.review_media import media_dir as review_media_dir
from services.catalog.review_moderation import (add_vote, approve_review, moderation_queue, reject_review,
                                                remove_vote, report_review)
from services.catalog.reviews import (MAX_BODY, MAX_TITLE, create_review, has_purchased, list_reviews, my_reviews,
                                      rating_summaries, review_view, update_review, visible_review)
from services.catalog.shopify import ParsedProduct, RowIssue, parse_products
from services.catalog.shopify_csv import MAX_UPLOAD_BYTES, CsvRejected, CsvTooLarge, count_handles, decode_upload
from services.catalog.shopify_csv import money as parse_money
from services.catalog.slugs import RESERVED_HANDLES, slugify
from services.catalog.stock_live import active_products, product_stock_views, publish_stock_changed, stock_channel
from services.catalog.warehouses import DEFAULT_WAREHOUSE_ID, default_warehouse, default_warehouse_id

__all__ = [
    "CategoryDetail", "CategoryNode", "MAX_DEPTH", "category_tree", "create_category", "delete_category", "flatten",
    "get_category", "subtree_ids", "update_category",
    "DEFAULT_WAREHOUSE_ID", "MAX_BODY", "MAX_MEDIA_PER_REVIEW", "MAX_PRICE", "MAX_TITLE", "MAX_UPLOAD_BYTES", "REASONS",
    "RESERVED_HANDLES", "SORT_FIELDS", "CsvRejected", "CsvTooLarge", "ImageRow", "ParsedProduct", "ProductView",
    "RowIssue", "VariantRow", "active_products", "adjust_stock", "archive_product", "check_store", "clear_list_totals",
    "count_handles",
    "create_product", "create_review", "decode_upload", "default_warehouse", "default_warehouse_id",
    "delete_review", "get_product", "has_purchased", "import_payload", "list_products", "list_reviews",
    "load_views", "parse_money", "parse_products", "product_stock_views", "product_view", "publish_stock_changed",
    "rating_summaries", "release_stock", "review_view", "run_import_job", "set_product_stock", "set_stock",
    "slugify", "stock_channel", "stock_levels", "take_stock", "update_product", "update_review", "upsert_product",
    "with_category", "add_media", "add_vote", "approve_review", "delete_media", "media_file", "moderation_queue",
    "my_reviews", "reject_review", "remove_vote", "report_review", "review_media_dir", "review_views", "visible_review",
]
