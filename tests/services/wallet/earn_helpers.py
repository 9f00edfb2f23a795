"""Builders of the earn tests."""

from services import wallet

AMMAN = (31.9539, 35.9106)


def project(staff_id="usr_staff", **values):
    """An active text project (reward 500, one completion per user) with `values` changed."""
    base = {"title": "Review a product", "category": "review", "type": "text", "reward_amount": 500,
            "max_per_user": 1}
    return wallet.create_project({**base, **values}, staff_id)


def visit(**values):
    return project(type="visit", category="store_visit", location_lat=AMMAN[0], location_lng=AMMAN[1],
                   location_radius_km=2.0, **values)
