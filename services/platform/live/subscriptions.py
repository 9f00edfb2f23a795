"""What a subscriber holds: `Message`, the `Subscription` interface, and `NullSubscription`
(a backend that is down: it only waits)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Iterator


@dataclass(frozen=True)
class Message:
    """A received message: the channel it came on and its JSON object."""

    channel: str
    data: dict


class Subscription:
    """Messages on a set of channels, for one consumer; close it when done (or use `with`).

    `get(timeout)` returns the next `Message`, or None after `timeout` seconds
    without one. `degraded` is True when the backend failed (Redis went away):
    `get` then only waits, and the consumer should rely on polling.
    """

    degraded = False

    def get(self, timeout: float) -> Message | None:  # pragma: no cover - interface
        raise NotImplementedError

    def listen(self, timeout: float) -> Iterator[Message | None]:
        """Yield messages forever, and None each time `timeout` seconds pass without one."""
        while True:
            yield self.get(timeout)

    def close(self) -> None:
        """Stop receiving (idempotent)."""

    def __enter__(self) -> "Subscription":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class NullSubscription(Subscription):
    """A subscription that never receives (the backend is unavailable): `get` just waits."""

    degraded = True

    def get(self, timeout: float) -> Message | None:
        time.sleep(max(0.0, timeout))
        return None
