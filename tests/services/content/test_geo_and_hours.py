"""Great-circle distances, the nearby search's bounding box (poles and the antimeridian
included), and opening hours (overnight intervals, time zones)."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from services import content
from services.content.nearby import bounding_box, haversine_km

LISBON = (38.7223, -9.1393)


def in_box(box, lat, lng):
    return box.min_lat <= lat <= box.max_lat and any(low <= lng <= high for low, high in box.lng_ranges)


def test_haversine_matches_known_distances():
    assert haversine_km(*LISBON, *LISBON) == 0
    assert haversine_km(*LISBON, 52.52, 13.405) == pytest.approx(2312, abs=3)  # Lisbon - Berlin
    # a quarter of a meridian: pi/2 * R
    assert haversine_km(0, 0, 90, 0) == pytest.approx(3.141592653589793 / 2 * content.EARTH_RADIUS_KM)
    assert haversine_km(0, 179.9, 0, -179.9) == pytest.approx(22.24, abs=0.01)  # across the antimeridian


@pytest.mark.parametrize("lat, lng, km", [(38.7, -9.1, 5), (0, 179.95, 50), (0, -179.95, 50), (89.99, 10, 20),
                                          (-89.95, -120, 30), (70, 170, 900), (-60, -175, 400), (10, 0, 0.01)])
def test_every_point_within_the_distance_is_inside_the_box(lat, lng, km):
    box = bounding_box(lat, lng, km)
    rng = random.Random(f"{lat},{lng},{km}")
    for _ in range(3000):
        # points around the centre, some just inside and some just outside the distance
        p_lat = max(-90.0, min(90.0, lat + rng.uniform(-1, 1) * (km / 111.0) * 1.5))
        p_lng = lng + rng.uniform(-180, 180) if abs(lat) > 80 else lng + rng.uniform(-1, 1) * km / 40.0
        p_lng = (p_lng + 180.0) % 360.0 - 180.0
        if haversine_km(lat, lng, p_lat, p_lng) <= km:
            assert in_box(box, p_lat, p_lng), (p_lat, p_lng)


def test_the_box_splits_at_the_antimeridian_and_opens_at_the_poles():
    east = bounding_box(0, 179.9, 50)
    assert len(east.lng_ranges) == 2 and east.lng_ranges[0][1] == 180.0 and east.lng_ranges[1][0] == -180.0
    west = bounding_box(0, -179.9, 50)
    assert len(west.lng_ranges) == 2 and west.lng_ranges[0][0] > 179 and west.lng_ranges[1][1] < -179
    polar = bounding_box(89.9, 0, 50)
    assert polar.lng_ranges == ((-180.0, 180.0),) and polar.max_lat == 90.0
    narrow = bounding_box(*LISBON, 5)
    assert len(narrow.lng_ranges) == 1 and narrow.max_lat - narrow.min_lat == pytest.approx(2 * 5 / 111.2, rel=0.01)


HOURS = {"friday": [{"open": "09:00", "close": "13:00"}, {"open": "22:00", "close": "02:00"}],
         "sunday": [{"open": "00:00", "close": "00:00"}]}


@pytest.mark.parametrize("moment, expected", [
    ("2026-12-04 08:59", False),  # friday before opening
    ("2026-12-04 09:00", True),
    ("2026-12-04 12:59", True),
    ("2026-12-04 13:00", False),  # the close minute is closed
    ("2026-12-04 23:30", True),  # friday night, overnight interval
    ("2026-12-05 01:59", True),  # saturday morning: friday's interval still runs
    ("2026-12-05 02:00", False),
    ("2026-12-05 12:00", False),  # saturday has no hours
    ("2026-12-06 00:00", True),  # sunday: 00:00-00:00 is the whole day
    ("2026-12-06 23:59", True),
    ("2026-12-07 00:30", False),  # ... which ends at monday 00:00
    ("2026-12-07 10:00", False),
])
def test_opening_hours_with_overnight_intervals(moment, expected):
    assert content.is_open_at(HOURS, dt.datetime.fromisoformat(moment)) is expected


def test_opening_hours_are_read_in_the_store_time_zone():
    hours = {"friday": [{"open": "09:00", "close": "17:00"}]}
    utc_morning = dt.datetime(2026, 12, 4, 7, 30)  # 07:30 UTC = 08:30 in Berlin (winter), 16:30 in Tokyo
    assert not content.open_now(hours, "Europe/Berlin", utc_morning)
    assert content.open_now(hours, "Asia/Tokyo", utc_morning)
    assert content.open_now(hours, "Europe/Berlin", dt.datetime(2026, 12, 4, 8, 0))
