"""Buffered view and share counters of videos: a hot video's views never turn into one database
write each. A view or a share is an increment in a buffer; the `video_counters_flush` job
(every minute, services.maintenance task `flush_video_counters`) adds the buffered counts to
the `video` rows; reads answer the stored count plus what is still buffered (`buffered`).

Buffer, chosen by configuration only, as live updates choose theirs
(`services.platform.live.redis_url_for`: `REDIS_URL`, else a `redis://` `BROKER_URL`):

- **Redis** (production, `make test-pg`): one hash `cartwheel:video-counters:live`, field
  `<video id>:views` / `<video id>:shares`, `HINCRBY` per view. Shared by every API process.
- **in-process** (embedded mode: one process serves every request): a dict under a lock.

The flush never loses nor double-counts, whatever runs concurrently:

1. *Take*: a Lua script renames the live hash to a new batch key
   `cartwheel:video-counters:batch:<uuid>` and adds that key to the set
   `cartwheel:video-counters:pending`, atomically; increments arriving after it create a new
   live hash, so none is lost between read and reset.
2. *Apply*: one database transaction adds the batch's counts to the videos (`views = views + n`)
   and inserts a `VideoCounterFlush` row whose primary key is the batch key.
3. *Release*: after commit, the batch key is deleted and removed from the pending set.

A flush first re-applies every batch still pending (a flush that died between 1 and 3). The
marker makes that exactly once: a batch whose marker exists is only released, and two flushes
applying the same batch at once conflict on the marker's primary key, so one rolls back whole.
Markers are pruned after FLUSH_MARKER_DAYS (a pending batch is retried within a minute, so a
pruned marker's batch is long gone). The in-process buffer swaps its dict under the lock and
puts the counts back when the transaction fails; it is lost with its process (embedded mode).

While Redis is unreachable an increment is written straight to the row (`views = views + 1`,
one conditional UPDATE), so counts stay right, only costlier. A read racing a flush's commit
by the millisecond between steps 2 and 3 may count that batch twice for that one answer; the
stored counts never are.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid

import peewee

import config
from models.db import atomic, utcnow
from models.videos import Video, VideoCounterFlush
from services.platform import jobs, live, periodic

log = logging.getLogger(__name__)

FIELDS = ("views", "shares")
PREFIX = "cartwheel:video-counters:"
LIVE_KEY = PREFIX + "live"
PENDING_KEY = PREFIX + "pending"
BATCH_PREFIX = PREFIX + "batch:"
FLUSH_MARKER_DAYS = 7
TIMEOUT_SECONDS = 0.5

# KEYS[1] live hash, KEYS[2] new batch key, KEYS[3] pending set -> 1 taken / 0 nothing buffered
_TAKE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('RENAME', KEYS[1], KEYS[2])
redis.call('SADD', KEYS[3], KEYS[2])
return 1
"""
# KEYS[1] live hash, KEYS[2] pending set; ARGV fields -> the sums over live and pending batches
_READ = """
local batches = redis.call('SMEMBERS', KEYS[2])
local out = {}
for i, f in ipairs(ARGV) do
  local n = tonumber(redis.call('HGET', KEYS[1], f) or '0')
  for _, b in ipairs(batches) do n = n + tonumber(redis.call('HGET', b, f) or '0') end
  out[i] = n
end
return out
"""


def _field(video_id: str, name: str) -> str:
    return f"{video_id}:{name}"


def _counts(pairs) -> dict[str, dict[str, int]]:
    """`{video id: {"views", "shares"}}` from `(field, n)` pairs of a batch."""
    out: dict[str, dict[str, int]] = {}
    for key, value in pairs:
        key = key.decode() if isinstance(key, bytes) else key
        video_id, _, name = key.rpartition(":")
        if name in FIELDS and video_id and int(value):
            out.setdefault(video_id, dict.fromkeys(FIELDS, 0))[name] += int(value)
    return out


def _apply(batch: str, counts: dict[str, dict[str, int]]) -> bool:
    """Add `counts` to the videos and write the batch's marker, in one transaction. False when the
    batch was applied already (its marker exists, or a concurrent flush wrote it first)."""
    try:
        with atomic():
            if VideoCounterFlush.select().where(VideoCounterFlush.batch == batch).exists():
                return False
            VideoCounterFlush.insert(batch=batch, views=sum(c["views"] for c in counts.values()),
                                     shares=sum(c["shares"] for c in counts.values()), applied_at=utcnow()).execute()
            for video_id, c in sorted(counts.items()):  # id order: two flushes never deadlock
                Video.update(views=Video.views + c["views"], shares=Video.shares + c["shares"]).where(
                    Video.id == video_id).execute()  # a deleted video: nothing to add to
    except peewee.IntegrityError:
        return False
    return True


class RedisCounters:
    """The buffer in Redis at `url` (module docstring). Methods raise redis errors."""

    kind = "redis"

    def __init__(self, url: str):
        import redis

        self.errors = (redis.RedisError, OSError)
        self.client = redis.Redis.from_url(url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS)
        self._take = self.client.register_script(_TAKE)
        self._read = self.client.register_script(_READ)

    def add(self, video_id: str, name: str, n: int = 1) -> None:
        self.client.hincrby(LIVE_KEY, _field(video_id, name), n)

    def read(self, video_ids: list[str]) -> dict[str, dict[str, int]]:
        fields = [_field(v, name) for v in video_ids for name in FIELDS]
        values = self._read(keys=[LIVE_KEY, PENDING_KEY], args=fields) if fields else []
        return _counts(zip(fields, values))

    def flush(self) -> dict:
        """Take the live hash as a new batch, then apply and release every pending batch."""
        self._take(keys=[LIVE_KEY, f"{BATCH_PREFIX}{uuid.uuid4().hex}", PENDING_KEY])
        applied = released = views = shares = 0
        for raw in sorted(self.client.smembers(PENDING_KEY)):
            batch = raw.decode() if isinstance(raw, bytes) else raw
            counts = _counts(self.client.hgetall(batch).items())
            if _apply(batch, counts):
                applied += 1
                views += sum(c["views"] for c in counts.values())
                shares += sum(c["shares"] for c in counts.values())
            pipe = self.client.pipeline(transaction=True)
            pipe.delete(batch)
            pipe.srem(PENDING_KEY, batch)
            pipe.execute()
            released += 1
        return {"batches": applied, "released": released, "views": views, "shares": shares}


class LocalCounters:
    """The in-process buffer (embedded mode)."""

    kind = "memory"
    errors: tuple = ()

    def __init__(self):
        self._lock = threading.Lock()
        self._live: dict[str, int] = {}
        self._flushing: dict[str, int] = {}
        self._flush_lock = threading.Lock()

    def add(self, video_id: str, name: str, n: int = 1) -> None:
        key = _field(video_id, name)
        with self._lock:
            self._live[key] = self._live.get(key, 0) + n

    def read(self, video_ids: list[str]) -> dict[str, dict[str, int]]:
        with self._lock:
            pairs = [(_field(v, name), self._live.get(_field(v, name), 0) + self._flushing.get(_field(v, name), 0))
                     for v in video_ids for name in FIELDS]
        return _counts(pairs)

    def flush(self) -> dict:
        with self._flush_lock:
            with self._lock:
                self._flushing, self._live = self._live, {}
            counts = _counts(self._flushing.items())
            try:
                applied = bool(counts) and _apply(f"{BATCH_PREFIX}{uuid.uuid4().hex}", counts)
            except BaseException:
                with self._lock:  # put them back: the next flush tries again
                    for key, n in self._flushing.items():
                        self._live[key] = self._live.get(key, 0) + n
                    self._flushing = {}
                raise
            with self._lock:
                self._flushing = {}
        return {"batches": int(applied), "released": int(applied),
                "views": sum(c["views"] for c in counts.values()), "shares": sum(c["shares"] for c in counts.values())}


_local = LocalCounters()
_redis: dict[str, RedisCounters] = {}
_backends_lock = threading.Lock()


def backend():
    """The buffer for the current settings: a RedisCounters (one per URL per process) or the
    process's LocalCounters."""
    url = live.redis_url_for(config.get())
    if not url:
        return _local
    with _backends_lock:
        found = _redis.get(url)
        if found is None:
            found = _redis[url] = RedisCounters(url)
        return found


def count(video_id: str, name: str) -> None:
    """Count one view or share (`name` in FIELDS) of the video, in the buffer; straight in the
    row (one conditional UPDATE) when Redis is unreachable."""
    store = backend()
    try:
        store.add(video_id, name)
        return
    except store.errors as exc:
        log.warning("video counters: buffer unreachable, counting in the database: %s", exc)
    column = getattr(Video, name)
    with atomic():
        Video.update({column: column + 1}).where(Video.id == video_id).execute()


def buffered(video_ids) -> dict[str, dict[str, int]]:
    """`{video id: {"views", "shares"}}` not flushed yet (videos with nothing buffered are left
    out; `{}` when Redis is unreachable)."""
    ids = list(dict.fromkeys(video_ids))
    if not ids:
        return {}
    store = backend()
    try:
        return store.read(ids)
    except store.errors as exc:
        log.warning("video counters: buffer unreachable, answering stored counts: %s", exc)
        return {}


def flush_counters(now: dt.datetime | None = None) -> dict:
    """Flush the buffer into the video rows (module docstring) and prune old markers. Returns
    `{"batches" (applied now), "released", "views", "shares" (added now), "prunedMarkers"}`.
    Raises redis errors (the job is retried) and database errors."""
    result = backend().flush()
    cutoff = (now or utcnow()) - dt.timedelta(days=FLUSH_MARKER_DAYS)
    with atomic():
        pruned = VideoCounterFlush.delete().where(VideoCounterFlush.applied_at < cutoff).execute()
    return {**result, "prunedMarkers": pruned}


JOB_TYPE = "video_counters_flush"


def run_counters_flush(job, ctx) -> dict:
    """`video_counters_flush` job handler: `flush_counters()` (its result is the job's)."""
    return flush_counters()


def schedule_counters_flush(job, ctx, now: dt.datetime) -> dict:
    """Maintenance task `flush_video_counters`: create the `video_counters_flush` job as a child
    of the maintenance job, once per maintenance job and not while a flush is unfinished (the
    next one takes what accumulated). Result: `{"created": bool, "jobId"?, "skipped"?}`."""
    if periodic.unfinished(JOB_TYPE):
        return {"created": False, "skipped": "flush_in_progress"}
    ran, flush = periodic.once(f"video_counters_flush:{job.id}", now + dt.timedelta(days=1),
                               lambda: jobs.create_job(JOB_TYPE, {}, parent_id=job.id))
    if not ran:
        return {"created": False, "skipped": "already_started"}
    return {"created": True, "jobId": flush.id}
