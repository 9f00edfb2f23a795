"""Content's stable error reasons, reason -> meaning."""

REASONS = {
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
