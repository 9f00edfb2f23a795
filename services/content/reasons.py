"""Content's stable error reasons (recipes, homepage banners, videos, stores), reason -> meaning."""

REASONS = {
    # recipes
    "recipe_not_found": "No (visible) recipe with this id or slug",
    "recipe_slug_taken": "The slug is already used by another recipe",
    "invalid_recipe_category": "The recipe's categoryId names no category",
    "unknown_ingredient_product": "An ingredient's productId names no product",
    "unknown_ingredient_variant": "An ingredient's variantId is not a live variant of its product",
    "ingredient_unit_mismatch": "A linked ingredient's unit cannot be bought as its variant is sold (a variant sold "
                                "by weight needs g or kg; one sold by the unit needs piece, or g/kg when the "
                                "variant has a weight)",
    # homepage banners
    "banner_not_found": "No banner has this id",
    "banner_link_invalid": "A banner's link does not resolve: not an https URL or /path, or no such product or "
                           "category",
    "banner_window_reversed": "A banner's endsAt is not after its startsAt",
    # shoppable videos (services.content.videos, video_writes, video_uploads, video_engagement, video_comments)
    "video_not_found": "No such video, or it is not published and the caller may not edit it",
    "video_not_editable": "Only the video's creator or an admin (`videos:manage`) may change or delete it",
    "video_category_unknown": "The category is not one of VIDEO_CATEGORIES (GET /videos/categories)",
    "video_source_required": "A video needs an uploaded file (`file`) or an https `externalUrl`",
    "video_source_conflict": "A video is an uploaded file or an external URL, not both",
    "video_url_not_https": "An external video URL must be an absolute https URL",
    "video_file_too_large": "The video file is larger than VIDEO_MAX_BYTES",
    "video_file_unsupported": "The file is not an MP4, MOV or WebM video (checked by its magic bytes)",
    "video_duration_mismatch": "The declared duration differs from the container's by more than a second",
    "video_thumbnail_dimensions_too_large": "The thumbnail is wider or taller than the allowed pixels",
    "video_product_not_found": "A linked product does not exist",
    "video_comment_not_found": "No such comment on this video, or it is not approved and not the caller's",
    "invalid_source_video": "sourceVideoId names no published video showing this product",
    # stores (seed 002 "Stores"): services.content.stores, store_writes, store_media, store_reviews, store_orders
    "store_not_found": "No active store has this id or slug (inactive ones: only for admins and the store's staff)",
    "store_slug_taken": "Another store already has this slug",
    "store_staff_only": "Only an admin or the store's own staff may change this store",
    "store_staff_admin_only": "Only an admin may change who runs a store (`staffIds`) or whether it is active "
                              "(`isActive`)",
    "unknown_store_category": "`categoryId` names no category",
    "unknown_store_staff": "`staffIds` names a user that does not exist",
    "invalid_store_phone": "The phone number is not a valid number (E.164, or national for the store's country)",
    "store_coordinates_incomplete": "A store's latitude and longitude are given together (or both null)",
    "store_minimum_currency": "A store's minimum order is in another currency than the shop's",
    "store_image_too_large": "The store's logo or banner upload is larger than STORE_IMAGE_MAX_BYTES",
    "store_image_dimensions_too_large": "The store's logo or banner is wider or taller than allowed",
    "missing_store_image": "The logo or banner upload has no 'image' part",
    "store_image_not_found": "The store has no such logo or banner file",
    "store_already_reviewed": "This customer has already reviewed this store (one review per customer and store)",
    "own_store_review": "A store's own staff may not review it",
    "store_minimum_not_met": "A store's lines in the cart add up to less than its minimum order",
    "store_inactive": "The cart holds products of a store that no longer sells (inactive)",
}
