"""Real-time events: `wallet_update` to the owner after each committed change, `new_project` to
everyone when a project is created, nothing for a rolled-back change."""

import pytest

from models.db import atomic
from services import wallet
from services.platform import live, user_events
from tests.factories import quick_user
from tests.services.wallet.earn_helpers import project


def test_a_committed_credit_announces_the_new_balance_and_a_rolled_back_one_nothing(db):
    user = quick_user()
    with live.subscribe([user_events.user_channel(user.id)]) as sub:
        with pytest.raises(RuntimeError):
            with atomic():
                wallet.credit(user.id, 900, "USD", source_type="adjustment", source_ref="rolled")
                raise RuntimeError("roll back")
        assert sub.get(0.3) is None
        wallet.credit(user.id, 700, "USD", source_type="adjustment", source_ref="kept")
        message = sub.get(5)
    assert message is not None and message.data["event"] == "wallet_update"
    assert {k: message.data["data"][k] for k in ("balance", "available", "held", "amount", "type")} == \
        {"balance": 700, "available": 700, "held": 0, "amount": 700, "type": "earning"}


def test_creating_a_project_broadcasts_new_project(db):
    with live.subscribe([user_events.BROADCAST_CHANNEL]) as sub:
        created = project(title="Share our page", category="social_share")
        message = sub.get(5)
    assert message is not None and message.data["event"] == "new_project"
    assert (message.data["data"]["id"], message.data["data"]["reward"]) == (created.id, 500)
