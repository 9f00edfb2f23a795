"""Reading a Server-Sent Events endpoint through Flask's test client, in a thread (tests/api)."""

from __future__ import annotations

import json
import queue
import threading
import time


class EventStream:
    """Opens an SSE endpoint with its own test client in a thread and collects what arrives."""

    def __init__(self, app, path, token=None, headers=None):
        self.events: queue.Queue = queue.Queue()
        self.comments: list[str] = []
        self.retry = None
        self.status = None
        self.body = None
        self.headers = None
        self._stop = threading.Event()
        self._opened = threading.Event()
        self.done = threading.Event()
        hdrs = dict(headers or {})
        if token:
            hdrs["Authorization"] = f"Bearer {token}"
        self._thread = threading.Thread(target=self._run, args=(app, path, hdrs), daemon=True)
        self._thread.start()
        assert self._opened.wait(10), "stream did not open"

    def _run(self, app, path, headers):
        try:
            response = app.test_client().get(path, headers=headers, buffered=False)
            self.status, self.headers = response.status_code, response.headers
            if response.status_code != 200:
                self.body = response.get_json()
                response.close()
                return
            self._opened.set()
            buffer = ""
            try:
                for chunk in response.response:
                    buffer += chunk.decode() if isinstance(chunk, bytes) else chunk
                    while "\n\n" in buffer:
                        block, buffer = buffer.split("\n\n", 1)
                        self._parse(block)
                    if self._stop.is_set():
                        break
            finally:
                response.close()
        finally:
            self._opened.set()
            self.done.set()

    def _parse(self, block: str):
        event = {}
        for line in block.split("\n"):
            if line.startswith(":"):
                self.comments.append(line[1:].strip())
            elif line.startswith("retry: "):
                self.retry = int(line[len("retry: "):])
            elif line.startswith("id: "):
                event["id"] = line[len("id: "):]
            elif line.startswith("event: "):
                event["event"] = line[len("event: "):]
            elif line.startswith("data: "):
                event["data"] = json.loads(line[len("data: "):])
        if "event" in event:
            self.events.put(event)

    def next(self, predicate=lambda e: True, timeout=15.0) -> dict:
        """The next event matching `predicate` (earlier non-matching ones are skipped)."""
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no matching event within {timeout}s; saw {seen}")
            try:
                event = self.events.get(timeout=remaining)
            except queue.Empty:
                continue
            if predicate(event):
                return event
            seen.append(event)

    def close(self):
        self._stop.set()
        assert self.done.wait(10), "stream did not stop"
