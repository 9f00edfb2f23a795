"""The documented `data` of the wallet, earn-project and video events is what their packages send:
each payload loads through its OpenAPI schema with no unknown or missing field."""

from __future__ import annotations

import pytest

from services import content, wallet
from services.platform import live
from tests.factories import quick_user
from tests.factories.videos import make_video
from tests.services.wallet.earn_helpers import project
from web.realtime import EVENT_SCHEMAS


@pytest.fixture
def sent(monkeypatch):
    messages = []
    monkeypatch.setattr(live, "publish_after_commit", lambda channel, message: messages.append(message))
    return messages


def check(messages, event):
    found = [m["data"] for m in messages if m["event"] == event]
    assert found, messages
    schema = EVENT_SCHEMAS[event]()
    for data in found:
        assert schema.validate(data) == {}, data
        assert set(data) <= set(schema.fields), set(data) - set(schema.fields)
    return found


def test_wallet_update_new_project_and_video_engagement_match_their_schemas(db, sent):
    user = quick_user()
    wallet.credit(user.id, 700, "USD", source_type="adjustment", source_ref="rt-1", description="test")
    assert check(sent, "wallet_update")[0]["available"] == 700
    project(title="Say hello")
    assert check(sent, "new_project")[0]["title"] == "Say hello"
    video = make_video(quick_user(role="staff"))
    content.set_like(user, video.id, True)
    assert check(sent, "video_engagement")[0]["engagement"]["likes"] == 1
