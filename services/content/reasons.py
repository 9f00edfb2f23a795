"""Content's stable error reasons (recipes, homepage banners; later stores and videos), reason -> meaning."""

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
}
