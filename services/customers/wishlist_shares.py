"""Shareable wishlists (seed 001): one revocable link per customer, read by anyone holding its token."""

from __future__ import annotations

import secrets

from models.catalog import Product
from models.db import atomic, isoformat, utcnow
from models.users import User
from models.wishlists import WishlistItem, WishlistShare
from services.customers.wishlist_items import WishlistEntry, load_entries
from services.errors import NotFound

SHARE_TOKEN_BYTES = 24  # 192 random bits, URL-safe base64


def share_view(share: WishlistShare) -> dict:
    """`{"token", "url", "createdAt"}` of an active link."""
    return {"token": share.token, "url": f"/api/v1/wishlist/shared/{share.token}",
            "createdAt": isoformat(share.created_at)}


def _active_share(user: User) -> WishlistShare | None:
    return (WishlistShare.select().where(WishlistShare.user == user.id, WishlistShare.revoked_at.is_null())
            .order_by(WishlistShare.created_at.desc()).first())


def create_share(user: User) -> tuple[WishlistShare, bool]:
    """The caller's active share link, created when there is none. Returns `(share, created)`."""
    with atomic():
        existing = _active_share(user)
        if existing:
            return existing, False
        return WishlistShare.create(user=user.id, token=secrets.token_urlsafe(SHARE_TOKEN_BYTES)), True


def get_share(user: User) -> WishlistShare:
    """The caller's active share link. Raises NotFound when there is none."""
    share = _active_share(user)
    if share is None:
        raise NotFound("No active share link", reason="share_link_not_found")
    return share


def revoke_share(user: User) -> int:
    """Revoke the caller's active link(s): the token stops working at once. Returns how many were revoked.
    Raises NotFound when there was none."""
    with atomic():
        n = WishlistShare.update(revoked_at=utcnow()).where(WishlistShare.user == user.id,
                                                            WishlistShare.revoked_at.is_null()).execute()
    if not n:
        raise NotFound("No active share link", reason="share_link_not_found")
    return n


def shared_wishlist(token: str, page: int = 1, limit: int = 20) -> tuple[User, list[WishlistEntry], int]:
    """The wishlist behind an active share token: `(owner, entries of active products, total)`.

    Raises NotFound for an unknown or revoked token."""
    share = WishlistShare.get_or_none(WishlistShare.token == token, WishlistShare.revoked_at.is_null())
    if share is None:
        raise NotFound("Shared wishlist not found", reason="shared_wishlist_not_found")
    owner = User.get_by_id(share.user_id)
    query = (WishlistItem.select().join(Product, on=(WishlistItem.product == Product.id))
             .where(WishlistItem.user == owner.id, Product.status == "active"))
    total = query.count()
    rows = list(query.order_by(WishlistItem.created_at.desc(), WishlistItem.id).paginate(page, limit))
    return owner, load_entries(rows), total
