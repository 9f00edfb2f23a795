"""Draining the broker's dead-letter queues back into recovery.

A message whose redeliveries ran out (`workers.redelivery`) is dead-lettered
by Dramatiq. `drain(broker)` takes every dead-lettered message of Cartwheel's
queues off the broker and returns the job ids they carried; the relay marks
those jobs undispatched (`recovery.release_dead_lettered`), so a job that is
still queued is sent again. A job that is running or finished ignores it.

Brokers: Redis (`<namespace>:<queue>.XQ`, a sorted set of message ids, and its
`.msgs` hash), RabbitMQ (the `<queue>.XQ` queue, read with basic_get) and the
stub broker (`dead_letters_by_queue`). Another broker drains nothing.
"""

from __future__ import annotations

import json
import logging

from dramatiq.common import xq_name

from services.platform import job_types

log = logging.getLogger(__name__)

MAX_PER_QUEUE = 1000  # messages taken per queue and pass


def _job_id(encoded) -> str | None:
    try:
        data = json.loads(encoded)
        args = data.get("args") or []
        return args[0] if args and isinstance(args[0], str) and args[0].startswith("job_") else None
    except (TypeError, ValueError, AttributeError):
        return None


def _drain_redis(broker) -> list[str]:
    found: list[str] = []
    for queue in job_types.QUEUES:
        key = f"{broker.namespace}:{xq_name(queue)}"
        message_ids = broker.client.zrange(key, 0, MAX_PER_QUEUE - 1)
        if not message_ids:
            continue
        messages = broker.client.hmget(f"{key}.msgs", message_ids)
        pipe = broker.client.pipeline()
        pipe.zrem(key, *message_ids)
        pipe.hdel(f"{key}.msgs", *message_ids)
        pipe.execute()
        found += [job_id for job_id in map(_job_id, messages) if job_id]
    return found


def _drain_rabbitmq(broker) -> list[str]:
    found: list[str] = []
    channel = broker.channel
    for queue in job_types.QUEUES:
        for _ in range(MAX_PER_QUEUE):
            try:
                method, _properties, body = channel.basic_get(xq_name(queue), auto_ack=True)
            except Exception:  # noqa: BLE001 - the queue was never declared here
                break
            if method is None:
                break
            job_id = _job_id(body)
            if job_id:
                found.append(job_id)
    return found


def _drain_stub(broker) -> list[str]:
    found: list[str] = []
    for queue in job_types.QUEUES:
        letters = broker.dead_letters_by_queue.get(queue)
        while letters:
            message = letters.pop(0)
            args = message.args or ()
            if args and isinstance(args[0], str):
                found.append(args[0])
    return found


def drain(broker) -> list[str]:
    """Remove the dead-lettered messages of Cartwheel's queues from `broker`; returns their job ids
    (in no particular order). Raises the broker client's error when the broker is unreachable."""
    kind = type(broker).__name__
    if kind == "RedisBroker":
        found = _drain_redis(broker)
    elif kind == "RabbitmqBroker":
        found = _drain_rabbitmq(broker)
    elif kind == "StubBroker":
        found = _drain_stub(broker)
    else:
        found = []
    if found:
        log.warning("drained %d dead-lettered job message(s) back into recovery", len(found))
    return found
