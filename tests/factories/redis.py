"""Redis for tests that need a real one, and a port nothing listens on (an unreachable Redis)."""

from __future__ import annotations

import os
import socket

import pytest


def redis_url() -> str:
    """A Redis to test against (REDIS_URL or a redis:// TEST_BROKER_URL), else skip the test."""
    for url in (os.environ.get("REDIS_URL", ""), os.environ.get("TEST_BROKER_URL", "")):
        if url.startswith(("redis://", "rediss://")):
            return url
    pytest.skip("no Redis configured (REDIS_URL / TEST_BROKER_URL)")


def closed_port() -> int:
    """A local TCP port with nothing listening (bound, read, closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
