"""Distances on the Earth for location (visit) projects.

Haversine great-circle distance on a sphere of the IUGG mean Earth radius R1 = 6371.0088 km
(Moritz, "Geodetic Reference System 1980", Journal of Geodesy 74, 2000); the error against the
ellipsoid is below 0.5 %, far less than a phone's GPS at the radii projects use.
"""

from __future__ import annotations

import math

EARTH_RADIUS_KM = 6371.0088


def distance_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in km between two points given in decimal degrees (WGS 84)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lng2 - lng1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))
