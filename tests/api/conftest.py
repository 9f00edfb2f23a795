"""Fixtures shared by API tests: one signed-in customer (profile, addresses, avatars) and the
catalog cache turned on for a test (catalog cache, metrics)."""

import dataclasses

import pytest

import config

from tests.factories import quick_user, token_for


@pytest.fixture()
def user(db):
    """A customer (no password hash: these tests sign in with `token`)."""
    return quick_user()


@pytest.fixture()
def token(user):
    """An access token of `user`."""
    return token_for(user)


@pytest.fixture()
def cached(app, settings):
    """The catalog cache on (60 s) and empty for this test."""
    config.override(dataclasses.replace(settings, catalog_cache_seconds=60))
    from web import cache

    cache.clear()
    yield
    cache.clear()
    config.override(settings)
