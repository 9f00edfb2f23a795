"""bench.settle: pending Dramatiq messages counted from the broker's keys (a fake Redis)."""

from bench import settle


class FakeRedis:
    def __init__(self, hashes):
        self.hashes = hashes

    def scan_iter(self, match, count):
        assert match == "dramatiq:*.msgs"
        return iter(k.encode() for k in self.hashes)

    def hlen(self, key):
        return self.hashes[key.decode()]


def test_pending_messages_counts_queues_and_delay_queues_not_dead_letters():
    client = FakeRedis({"dramatiq:checkout.msgs": 3, "dramatiq:checkout.DQ.msgs": 2, "dramatiq:fraud.msgs": 0,
                        "dramatiq:checkout.XQ.msgs": 40})
    assert settle.pending_messages(client) == 5
    assert settle.pending_messages(FakeRedis({})) == 0
