"""Customers' stable error reasons (accounts, tokens, wishlists), reason -> meaning."""

REASONS = {
    "account_disabled": "The account is disabled",
    "bad_role": "Unknown role",
    "email_taken": "An account with this email already exists",
    "invalid_action": "Unknown bulk wishlist action",
    "invalid_credentials": "Wrong email or password",
    "invalid_refresh_token": "Unknown refresh token",
    "invalid_token": "The access token is invalid, or its account is gone or disabled",
    "not_in_wishlist": "The product is not on the wishlist",
    "refresh_token_expired": "The refresh token expired",
    "refresh_token_reused": "A used or revoked refresh token was presented: its whole login was revoked",
    "session_not_found": "No session with this id (of the caller's)",
    "session_revoked": "The access token's session was signed out (logout, revoked, password changed or reset)",
    "share_link_not_found": "The customer has no active share link",
    "shared_wishlist_not_found": "Unknown or revoked share token",
    "token_expired": "The access token expired",
    "user_not_found": "No user with this id",
    "weak_password": "The password is too weak",
    "wishlist_item_not_found": "No wishlist item with this id (of the caller's)",
}
