"""Content (issue 11; seeds 002 and 003): what the shop publishes around its products. Other
packages import only the names below; `services.orders` may import this package, never the reverse.

Recipes (seed 003): `recipes` (reads, filters, views with each linked product's current price and
availability), `recipe_writes` (staff create, change, delete; HTML cleaned on write),
`recipe_scaling` (scaling to a number of servings, units a product can be bought in). The cart a
recipe fills is services.orders.recipe_cart's.

Homepage (seed 002): `banners` (staff-managed homepage banners and the ones showing now),
`homepage` (the homepage's sections, their order and the shared data behind them).

Shoppable videos (seed 002): `videos` (who sees which video, the list and its filters, views with
the linked products' current prices and stock), `video_writes` (create, change, delete),
`video_uploads` (container check, size, duration, thumbnail, files), `video_categories` (the
managed list, VIDEO_CATEGORIES), `video_engagement` (likes, shares, views, the `video_engagement`
event), `video_counters` (the Redis or in-process buffer of views and shares and its flush job),
`video_comments` (comments and moderation), `video_sources` (the video an add-to-cart came from).

Stores (seed 002): `stores` (reads, the list's filters), `store_writes` (admins and a store's own
staff), `nearby` (haversine with a bounding box on the indexed coordinates), `opening_hours`,
`store_media` (logos and banners), `store_reviews`, `store_orders` (checkout across stores: each
store's minimum order).
"""

from services.content.reasons import REASONS

# recipes
from services.content.recipe_scaling import MAX_SERVINGS, ScaledIngredient, buyable_in, scaled_ingredients
from services.content.recipe_writes import create_recipe, delete_recipe, update_recipe
from services.content.recipes import get_recipe, list_recipes, recipe_view, recipe_views, recipes_using

# homepage
from services.content.banners import LINK_TYPES as BANNER_LINK_TYPES
from services.content.banners import (active_banners, banner_view, create_banner, delete_banner, get_banner,
                                      list_banners, update_banner)
from services.content.homepage import MAX_SECTION_ITEMS, top_categories
from services.content.homepage import PERSONAL_SECTIONS as PERSONAL_HOMEPAGE_SECTIONS
from services.content.homepage import SECTIONS as HOMEPAGE_SECTIONS
from services.content.homepage import section_keys as homepage_section_keys

# shoppable videos
from services.content.video_categories import check_category, list_categories
from services.content.video_comments import add_comment, comment_view, list_comments, moderate_comment
from services.content.video_counters import (JOB_TYPE as VIDEO_COUNTERS_JOB_TYPE, flush_counters,
                                             run_counters_flush, schedule_counters_flush)
from services.content.video_engagement import record as record_video_event
from services.content.video_engagement import set_like
from services.content.video_sources import check_source_video
from services.content.video_uploads import folder as video_folder
from services.content.video_uploads import media_type as video_media_type
from services.content.video_writes import create_video, delete_video, update_video
from services.content.videos import ORDERS as VIDEO_ORDERS
from services.content.videos import VideoFilters, get_video, list_videos, may_edit, video_views

# stores (seed 002 "Stores"): reads, writes, geo, hours, media, reviews, checkout across stores
from services.content.nearby import EARTH_RADIUS_KM, bounding_box, haversine_km, nearby_stores
from services.content.opening_hours import TIME_PATTERN, WEEKDAYS, is_open_at, open_now
from services.content.store_media import STORE_IMAGE_MAX_BYTES, store_image, store_image_file
from services.content.store_orders import check_store_minimums, store_subtotals
from services.content.store_reviews import list_store_reviews, review_store, store_review_view
from services.content.store_writes import RESERVED_SLUGS, check_can_edit, create_store, deactivate_store, update_store
from services.content.stores import (StoreFilters, cashback_rates, get_store, is_store_staff, list_stores,
                                     store_summaries, store_view, top_rated_stores)

__all__ = [
    "REASONS",
    # recipes
    "MAX_SERVINGS", "ScaledIngredient", "buyable_in", "create_recipe", "delete_recipe", "get_recipe",
    "list_recipes", "recipe_view", "recipe_views", "recipes_using", "scaled_ingredients", "update_recipe",
    # homepage
    "BANNER_LINK_TYPES", "HOMEPAGE_SECTIONS", "MAX_SECTION_ITEMS", "PERSONAL_HOMEPAGE_SECTIONS", "active_banners",
    "banner_view", "create_banner", "delete_banner", "get_banner", "homepage_section_keys", "list_banners",
    "top_categories", "update_banner",
    # shoppable videos
    "VIDEO_COUNTERS_JOB_TYPE", "VIDEO_ORDERS", "VideoFilters", "add_comment", "check_category",
    "check_source_video", "comment_view", "create_video", "delete_video", "flush_counters", "get_video",
    "list_categories", "list_comments", "list_videos", "may_edit", "moderate_comment", "record_video_event",
    "run_counters_flush", "schedule_counters_flush", "set_like", "update_video", "video_folder", "video_media_type",
    "video_views",
    # stores
    "EARTH_RADIUS_KM", "RESERVED_SLUGS", "STORE_IMAGE_MAX_BYTES", "TIME_PATTERN", "WEEKDAYS", "StoreFilters",
    "bounding_box", "cashback_rates", "check_store_minimums", "create_store", "deactivate_store", "get_store",
    "haversine_km",
    "is_open_at", "is_store_staff", "list_store_reviews", "list_stores", "nearby_stores", "open_now",
    "review_store", "store_image", "store_image_file", "store_review_view", "store_subtotals", "store_summaries",
    "store_view", "top_rated_stores", "update_store", "check_can_edit",
]
