"""Who and what the current request is: its id (`X-Request-ID`) and the client's IP address."""

from __future__ import annotations

import ipaddress
import secrets

from flask import g, request


def new_request_id() -> str:
    """A fresh request id: `req_` and 24 hex digits."""
    return "req_" + secrets.token_hex(12)


def request_id() -> str:
    """The current request's id (from `X-Request-ID` when sane, else generated)."""
    rid = getattr(g, "request_id", None)
    if rid is None:
        incoming = request.headers.get("X-Request-ID", "")
        if 0 < len(incoming) <= 128 and incoming.isprintable():
            rid = incoming
        else:
            rid = new_request_id()
        g.request_id = rid
    return rid


def client_ip() -> str | None:
    """The caller's IP address (the checkout records it for fraud scoring).

    Policy: `request.remote_addr` is the peer. When that peer is a private,
    loopback or link-local address (our own reverse proxy or load balancer, as in
    docker-compose), the rightmost `X-Forwarded-For` entry is used instead:
    it is the address our proxy saw, while entries further left are written by
    the client and can be forged. A public peer's `X-Forwarded-For` is ignored.
    Returns a normalised IPv4/IPv6 string or None when unknown/malformed.
    """
    peer = _parse_ip(request.remote_addr)
    if peer is not None and (peer.is_private or peer.is_loopback or peer.is_link_local):
        forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
        if forwarded:
            candidate = _parse_ip(forwarded[-1])
            if candidate is not None:
                return str(candidate)
    return str(peer) if peer is not None else None


def _parse_ip(value: str | None):
    if not value:
        return None
    try:
        return ipaddress.ip_address(value.strip()[:64])
    except ValueError:
        return None
