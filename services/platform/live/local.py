"""The in-process backend of live updates (embedded mode): a hub whose subscriptions
each have a bounded queue (messages beyond `LOCAL_QUEUE_SIZE` are dropped: a stalled
consumer re-reads state by polling anyway)."""

from __future__ import annotations

import fnmatch
import queue
import threading
from typing import Iterable

from services.platform.live.subscriptions import Message, Subscription

LOCAL_QUEUE_SIZE = 1000  # messages buffered per in-process subscription before dropping


class _LocalSubscription(Subscription):
    def __init__(self, hub: "LocalHub", channels: tuple[str, ...], patterns: tuple[str, ...] = ()):
        self.hub = hub
        self.channels = channels
        self.patterns = patterns
        self.queue: queue.Queue = queue.Queue(maxsize=LOCAL_QUEUE_SIZE)
        self.dropped = 0
        self.closed = False

    def deliver(self, message: Message) -> None:
        try:
            self.queue.put_nowait(message)
        except queue.Full:  # a stalled consumer: drop (it re-reads state by polling anyway)
            self.dropped += 1

    def get(self, timeout: float) -> Message | None:
        try:
            return self.queue.get(timeout=max(0.0, timeout))
        except queue.Empty:
            return None

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.hub._remove(self)


class LocalHub:
    """In-process fan-out: each subscription has a bounded queue fed by `publish`."""

    name = "local"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: dict[str, set[_LocalSubscription]] = {}
        self._pattern_subscribers: dict[str, set[_LocalSubscription]] = {}

    def publish(self, channel: str, data: dict) -> int:
        """Deliver `data` to every current subscriber of `channel` (by name, or by a glob pattern
        that matches it, as Redis PSUBSCRIBE does); returns how many."""
        with self._lock:
            targets = set(self._subscribers.get(channel, ()))
            for pattern, subs in self._pattern_subscribers.items():
                if fnmatch.fnmatchcase(channel, pattern):
                    targets |= subs
        message = Message(channel, data)
        for sub in targets:
            sub.deliver(message)
        return len(targets)

    def subscribe(self, channels: Iterable[str], patterns: Iterable[str] = ()) -> Subscription:
        """A subscription to `channels` and to every channel matching one of the glob `patterns`."""
        sub = _LocalSubscription(self, tuple(dict.fromkeys(channels)), tuple(dict.fromkeys(patterns)))
        with self._lock:
            for channel in sub.channels:
                self._subscribers.setdefault(channel, set()).add(sub)
            for pattern in sub.patterns:
                self._pattern_subscribers.setdefault(pattern, set()).add(sub)
        return sub

    def _remove(self, sub: _LocalSubscription) -> None:
        with self._lock:
            for table, names in ((self._subscribers, sub.channels), (self._pattern_subscribers, sub.patterns)):
                for name in names:
                    subs = table.get(name)
                    if subs is not None:
                        subs.discard(sub)
                        if not subs:
                            del table[name]

    def subscriber_count(self, channel: str) -> int:
        """How many subscriptions listen on `channel` (tests, diagnostics)."""
        with self._lock:
            return len(self._subscribers.get(channel, ()))
