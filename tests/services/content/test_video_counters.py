"""The view/share buffer and its flush: in-process and on Redis, concurrent increments and
concurrent flushes add every view exactly once, and a batch left pending by a crashed flush is
applied once."""

import dataclasses
import threading

import pytest

import config
from models.db import database
from models.videos import Video, VideoCounterFlush
from services.content import video_counters
from tests.factories import quick_user
from tests.factories.redis import redis_url
from tests.factories.videos import make_video


@pytest.fixture()
def redis_counters(settings):
    """The Redis buffer (REDIS_URL / TEST_BROKER_URL, else skipped), emptied around the test."""
    url = redis_url()
    config.override(dataclasses.replace(settings, redis_url=url))
    store = video_counters.backend()
    assert store.kind == "redis"

    def clear():
        keys = list(store.client.scan_iter(match=video_counters.PREFIX + "*"))
        if keys:
            store.client.delete(*keys)
    clear()
    yield store
    clear()
    config.override(settings)


def _hammer(video_id, views_per_thread, threads, flushes):
    errors = []

    def view():
        try:
            for _ in range(views_per_thread):
                video_counters.count(video_id, "views")
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    def flush():
        try:
            with database.connection_context():
                for _ in range(5):
                    video_counters.flush_counters()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    workers = [threading.Thread(target=view) for _ in range(threads)] + \
              [threading.Thread(target=flush) for _ in range(flushes)]
    [t.start() for t in workers]
    [t.join() for t in workers]
    assert not errors, errors
    video_counters.flush_counters()


def test_concurrent_views_and_flushes_count_every_view_once_in_process(db):
    video = make_video(quick_user(role="staff"))
    _hammer(video.id, 200, 4, 2)
    assert Video.get_by_id(video.id).views == 800
    assert video_counters.buffered([video.id]) == {}


def test_concurrent_views_and_flushes_count_every_view_once_on_redis(db, redis_counters):
    video = make_video(quick_user(role="staff"))
    _hammer(video.id, 100, 4, 2)
    assert Video.get_by_id(video.id).views == 400
    assert video_counters.buffered([video.id]) == {}


def test_a_batch_left_pending_by_a_crashed_flush_is_applied_once(db, redis_counters):
    video = make_video(quick_user(role="staff"))
    for _ in range(3):
        video_counters.count(video.id, "shares")
    batch = video_counters.BATCH_PREFIX + "crashed"
    redis_counters._take(keys=[video_counters.LIVE_KEY, batch, video_counters.PENDING_KEY])
    assert video_counters.buffered([video.id])[video.id]["shares"] == 3  # still shown while pending
    counts = video_counters._counts(redis_counters.client.hgetall(batch).items())
    assert video_counters._apply(batch, counts)  # applied, then the process "died" before releasing
    result = video_counters.flush_counters()
    assert result["batches"] == 0 and result["released"] == 1
    assert Video.get_by_id(video.id).shares == 3
    assert VideoCounterFlush.select().where(VideoCounterFlush.batch == batch).exists()


def test_views_go_to_the_row_when_redis_is_unreachable(db, settings):
    from tests.factories.redis import closed_port

    config.override(dataclasses.replace(settings, redis_url=f"redis://127.0.0.1:{closed_port()}/0"))
    try:
        video = make_video(quick_user(role="staff"))
        video_counters.count(video.id, "views")
        assert Video.get_by_id(video.id).views == 1
        assert video_counters.buffered([video.id]) == {}
    finally:
        config.override(settings)


def test_the_demo_seeds_published_videos_linked_to_demo_products(db):
    from models.videos import VideoProduct
    from services.demo import seed_demo_if_empty

    seed_demo_if_empty()
    videos = list(Video.select())
    assert len(videos) == 4 and all(v.is_published and v.thumbnail and v.external_url for v in videos)
    assert VideoProduct.select().count() == 8
