"""Content's stable error reasons (homepage, banners), reason -> meaning."""

REASONS = {
    "banner_not_found": "No banner has this id",
    "banner_link_invalid": "A banner's link does not resolve: not an https URL or /path, or no such product or "
                           "category",
    "banner_window_reversed": "A banner's endsAt is not after its startsAt",
}
