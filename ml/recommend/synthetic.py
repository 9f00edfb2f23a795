"""A generated shop history with planted structure, for tests and demos (SYNTHETIC, not real data).

Items are split into `n_segments` taste segments (think roses, tulips,
orchids...). Each user belongs to one segment and draws most of their
interactions (`1 - noise`) from their segment's items, by a Zipf-like
popularity inside the segment; the rest from the whole catalog by global
popularity. Segments differ in size of audience, so global popularity is a
meaningful (but non-personal) baseline. Event kinds and times are random:
times uniform over `days` before `end`. A personal recommender that learns
the segments should beat popularity on a time split; popularity cannot.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

KIND_SHARES = {"order": 0.4, "cart_add": 0.3, "wishlist": 0.2, "review": 0.1}


@dataclass
class SyntheticEvent:
    """One generated interaction: user and item numbers, kind, naive-UTC time, rating (reviews only)."""

    user: int
    item: int
    kind: str
    at: dt.datetime
    rating: int | None = None


@dataclass
class SyntheticHistory:
    """The events plus the planted truth: `user_segment[u]`, `item_segment[i]`."""

    n_users: int
    n_items: int
    events: list
    user_segment: np.ndarray
    item_segment: np.ndarray


def generate_history(n_users: int = 300, n_items: int = 120, n_segments: int = 6,
                     events_per_user: tuple[int, int] = (8, 20), days: int = 180, noise: float = 0.15,
                     end: dt.datetime | None = None, seed: int = 7) -> SyntheticHistory:
    """Generate a history (see the module docstring); deterministic for a given `seed`.

    A user never gets the same (item, kind) twice (wishlists and reviews are
    unique per product in the shop). Reviews inside the user's segment get 4-5
    stars, others 1-3 stars.
    """
    rng = np.random.default_rng(seed)
    end = end or dt.datetime(2026, 1, 1)
    item_segment = np.arange(n_items) % n_segments
    rng.shuffle(item_segment)
    # audience share per segment decreases: segment 0 is the biggest
    segment_weights = 1.0 / np.arange(1, n_segments + 1) ** 0.7
    user_segment = rng.choice(n_segments, size=n_users, p=segment_weights / segment_weights.sum())
    # Zipf-like popularity inside each segment
    item_pop = np.zeros(n_items)
    for s in range(n_segments):
        members = np.flatnonzero(item_segment == s)
        ranks = rng.permutation(len(members)) + 1
        item_pop[members] = 1.0 / ranks ** 0.8
    global_pop = item_pop * segment_weights[item_segment]
    global_p = global_pop / global_pop.sum()
    kinds = list(KIND_SHARES)
    kind_p = np.array([KIND_SHARES[k] for k in kinds])
    events = []
    for user in range(n_users):
        own = np.flatnonzero(item_segment == user_segment[user])
        own_p = item_pop[own] / item_pop[own].sum()
        n_events = int(rng.integers(events_per_user[0], events_per_user[1] + 1))
        seen = set()
        for _ in range(n_events * 3):
            in_segment = rng.random() >= noise
            item = int(rng.choice(own, p=own_p)) if in_segment else int(rng.choice(n_items, p=global_p))
            kind = kinds[int(rng.choice(len(kinds), p=kind_p))]
            if (item, kind) in seen:
                continue
            seen.add((item, kind))
            at = end - dt.timedelta(seconds=float(rng.uniform(0, days * 86400)))
            rating = None
            if kind == "review":
                rating = int(rng.integers(4, 6)) if item_segment[item] == user_segment[user] else int(rng.integers(1, 4))
            events.append(SyntheticEvent(user, item, kind, at.replace(microsecond=0), rating))
            if len(seen) >= n_events:
                break
    events.sort(key=lambda e: (e.at, e.user, e.item))
    return SyntheticHistory(n_users, n_items, events, user_segment, item_segment)
