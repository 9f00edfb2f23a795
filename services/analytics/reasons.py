"""Analytics' stable error reasons, reason -> meaning."""

REASONS = {
    "invalid_analytics_query": "An analytics parameter is malformed: a date that is not YYYY-MM-DD (1970-01-01 to "
                               "2999-12-31), an unknown interval, a currency that is not 3 letters, an unknown field",
    "analytics_range_reversed": "The analytics range's `from` is after its `to`",
    "analytics_range_too_long": "The analytics range has more days than its interval allows (day: 366, week: 731, "
                                "month: 1827; a rollup: 366)",
    "analytics_future_day": "A rollup was asked for a day after today (UTC)",
}
