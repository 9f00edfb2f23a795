"""Fixtures shared by the API tests of one signed-in customer (profile, addresses, avatars)."""

import pytest

from tests.factories import quick_user, token_for


@pytest.fixture()
def user(db):
    """A customer (no password hash: these tests sign in with `token`)."""
    return quick_user()


@pytest.fixture()
def token(user):
    """An access token of `user`."""
    return token_for(user)
