"""Customers: accounts (Argon2id passwords, registration, sign-in), tokens (access JWTs,
rotating refresh-token families) and wishlists (items, the atomic move to a cart, bulk
jobs, share links).

Modules: `accounts`, `sessions`, `tokens`, `account_tokens`, `credentials`, `wishlist_items`,
`wishlist_bulk`, `wishlist_shares`; phone identities and OTP login (`phone_identity`,
`otp_login`); profiles, preferences and devices (`profiles`), the address
book (`addresses`), avatars (`avatars`) and the seed-004 customers API (`customer_directory`);
the customer's own data, GDPR: the account export (`data_export`) and erasure (`erasure`).
"""

from services.customers.account_tokens import link_for as account_link
from services.customers.api_keys import (authenticate_key, create_key, key_view, list_keys, revoke_key, rotate_key,
                                         verify_signature)
from services.customers.accounts import (MIN_PASSWORD_LENGTH, authenticate, ensure_admin, get_user, hash_password,
                                         register_user)
from services.customers.addresses import (MAX_ADDRESSES, address_for_checkout, address_view, create_address,
                                          delete_address, get_address, list_addresses, set_default_address,
                                          update_address)
from services.customers.avatars import avatar_file, remove_avatar, store_avatar
from services.customers.credentials import (change_password, request_password_reset, request_verification,
                                            reset_password, verify_email)
from services.customers.customer_directory import create_customer, customer_view, get_customer, list_customers
from services.customers.data_export import ExportFile, export_file, purge_expired_exports, run_export_job, start_export
from services.customers.erasure import request_erasure, run_erasure_job
from services.customers.login_backoff import authenticate_with_backoff
from services.customers.mfa import challenge_for as mfa_challenge_for
from services.customers.mfa import complete_challenge as complete_mfa_challenge
from services.customers.mfa import confirm_setup as confirm_mfa_setup
from services.customers.mfa import disable as disable_mfa
from services.customers.mfa import has_mfa, mfa_required_for
from services.customers.mfa import start_setup as start_mfa_setup
from services.customers.otp_login import code_for as otp_code_for
from services.customers.otp_login import send_code as send_otp
from services.customers.otp_login import verify_code as verify_otp
from services.customers.passwords import MAX_PASSWORD_LENGTH, check_password
from services.customers.permissions import API_KEY_SCOPES, PERMISSIONS, allowed
from services.customers.profiles import (customer_preferences_view, get_profile, normalise_phone, profile_view,
                                         record_activity, record_device, update_customer_preferences, update_profile)
from services.customers.reasons import REASONS
from services.customers.sessions import (Client, list_sessions, revoke_all_sessions, revoke_session,
                                         session_view)
from services.customers.tokens import (authenticate_access_token, decode_access_token, issue_access_token,
                                       issue_tokens, logout, revoke_family, rotate_refresh_token, user_from_token)
from services.customers.user_admin import admin_user_view, list_users, set_active, set_customer_group, set_role
from services.customers.wishlist_bulk import (BULK_ACTIONS, MAX_BULK_ITEMS, run_wishlist_bulk_job,
                                              start_wishlist_bulk, wishlist_bulk_result)
from services.customers.wishlist_items import (WishlistEntry, add_to_wishlist, check_cart, get_wishlist_entry,
                                               is_wishlisted, list_wishlist, move_to_cart, remove_from_wishlist,
                                               users_wishlisting, wishlist_entry_view)
from services.customers.wishlist_shares import create_share, get_share, revoke_share, share_view, shared_wishlist

__all__ = [
    "API_KEY_SCOPES", "BULK_ACTIONS", "Client", "ExportFile", "MAX_ADDRESSES", "MAX_BULK_ITEMS",
    "MAX_PASSWORD_LENGTH", "MIN_PASSWORD_LENGTH", "PERMISSIONS", "REASONS", "WishlistEntry", "account_link",
    "add_to_wishlist", "address_for_checkout", "address_view", "admin_user_view", "allowed", "authenticate",
    "authenticate_access_token", "authenticate_key", "authenticate_with_backoff", "avatar_file", "change_password",
    "check_cart", "check_password", "complete_mfa_challenge", "confirm_mfa_setup", "create_address",
    "create_customer", "create_key", "create_share", "customer_preferences_view", "customer_view",
    "decode_access_token", "delete_address", "disable_mfa", "ensure_admin", "export_file", "get_address",
    "get_customer", "get_profile", "get_share", "get_user", "get_wishlist_entry", "has_mfa", "hash_password",
    "is_wishlisted", "issue_access_token", "issue_tokens", "key_view", "list_addresses", "list_customers",
    "list_keys", "list_sessions", "list_users", "list_wishlist", "logout", "mfa_challenge_for", "mfa_required_for",
    "move_to_cart", "normalise_phone", "otp_code_for", "profile_view", "purge_expired_exports", "record_activity",
    "record_device", "register_user", "remove_avatar", "remove_from_wishlist", "request_erasure",
    "request_password_reset", "request_verification", "reset_password", "revoke_all_sessions", "revoke_family",
    "revoke_key", "revoke_session", "revoke_share", "rotate_key", "rotate_refresh_token", "run_erasure_job",
    "run_export_job", "run_wishlist_bulk_job", "send_otp", "session_view", "set_active", "set_default_address",
    "set_customer_group", "set_role", "share_view", "shared_wishlist", "start_export", "start_mfa_setup", "start_wishlist_bulk",
    "store_avatar", "update_address", "update_customer_preferences", "update_profile", "user_from_token",
    "users_wishlisting", "verify_email", "verify_otp", "verify_signature", "wishlist_bulk_result",
    "wishlist_entry_view",
]
