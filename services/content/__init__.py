"""Content (seeds 002, 003): stores, and later videos, recipes and homepage sections.

Other packages use only what is re-exported here (`from services import content`).
"""

from services.content.reasons import REASONS

# stores (seed 002 "Stores"): reads, writes, geo, hours, media, reviews, checkout across stores
from services.content.nearby import EARTH_RADIUS_KM, bounding_box, haversine_km, nearby_stores
from services.content.opening_hours import TIME_PATTERN, WEEKDAYS, is_open_at, open_now
from services.content.store_media import STORE_IMAGE_MAX_BYTES, store_image, store_image_file
from services.content.store_orders import check_store_minimums, store_subtotals
from services.content.store_reviews import list_store_reviews, review_store, store_review_view
from services.content.store_writes import RESERVED_SLUGS, create_store, deactivate_store, update_store
from services.content.stores import (StoreFilters, get_store, is_store_staff, list_stores, store_summaries,
                                     store_view)

__all__ = [
    "REASONS",
    # stores
    "EARTH_RADIUS_KM", "RESERVED_SLUGS", "STORE_IMAGE_MAX_BYTES", "TIME_PATTERN", "WEEKDAYS", "StoreFilters",
    "bounding_box", "check_store_minimums", "create_store", "deactivate_store", "get_store", "haversine_km",
    "is_open_at", "is_store_staff", "list_store_reviews", "list_stores", "nearby_stores", "open_now",
    "review_store", "store_image", "store_image_file", "store_review_view", "store_subtotals", "store_summaries",
    "store_view", "update_store",
]
