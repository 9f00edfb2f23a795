"""Refresh-token rotation: reuse revokes the whole login, and the revocation sticks even when it
is detected by a concurrent refresh that lost the race."""

import threading

import pytest

from models.users import RefreshToken
from services import customers
from services.errors import AuthenticationFailed
from tests.factories import make_user


def test_each_refresh_rotates_the_token_and_a_reused_one_revokes_the_login(db, settings):
    pair = customers.issue_tokens(make_user())
    second = customers.rotate_refresh_token(pair["refreshToken"])
    with pytest.raises(AuthenticationFailed) as caught:
        customers.rotate_refresh_token(pair["refreshToken"])
    assert caught.value.reason == "refresh_token_reused"
    with pytest.raises(AuthenticationFailed):
        customers.rotate_refresh_token(second["refreshToken"])


def test_two_concurrent_refreshes_of_one_token_revoke_the_login_for_good(db, settings, monkeypatch):
    pair = customers.issue_tokens(make_user())
    both_read = threading.Barrier(2, timeout=10)
    real_get = RefreshToken.get_or_none

    def read_then_wait(*args, **kwargs):
        row = real_get(*args, **kwargs)
        both_read.wait()  # both refreshes saw the token unused before either claims it
        return row

    monkeypatch.setattr(RefreshToken, "get_or_none", read_then_wait)
    outcomes = []

    def refresh():
        try:
            outcomes.append(customers.rotate_refresh_token(pair["refreshToken"]))
        except AuthenticationFailed as exc:
            outcomes.append(exc.reason)
        finally:
            db.close()

    threads = [threading.Thread(target=refresh) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    monkeypatch.setattr(RefreshToken, "get_or_none", real_get)
    winners = [o for o in outcomes if isinstance(o, dict)]
    assert len(winners) == 1 and "refresh_token_reused" in outcomes
    with pytest.raises(AuthenticationFailed):  # the loser revoked the family, winner's new token included
        customers.rotate_refresh_token(winners[0]["refreshToken"])
    assert RefreshToken.select().where(RefreshToken.revoked_at.is_null()).count() == 0


def test_a_token_issued_while_its_family_was_being_revoked_is_refused(db, settings):
    """The losing refresh revoked the family's live tokens just before the winner wrote its new one."""
    pair = customers.issue_tokens(make_user())
    newer = customers.rotate_refresh_token(pair["refreshToken"])
    old = RefreshToken.get(RefreshToken.used_at.is_null(False))
    RefreshToken.update(revoked_at=old.used_at).where(RefreshToken.id == old.id).execute()
    with pytest.raises(AuthenticationFailed) as caught:
        customers.rotate_refresh_token(newer["refreshToken"])
    assert caught.value.reason == "refresh_token_reused"
