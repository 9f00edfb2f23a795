"""bench.pgstats: counter deltas, per-order division, and settled readings."""

from bench import pgstats

BEFORE = {"xacts": 100, "tup_returned": 1000, "tup_fetched": 500, "tup_inserted": 10, "tup_updated": 20,
          "tup_deleted": 0}
AFTER = {"xacts": 1400, "tup_returned": 9000, "tup_fetched": 4500, "tup_inserted": 160, "tup_updated": 300,
         "tup_deleted": 4}


def test_delta_and_per_order():
    counts = pgstats.delta(BEFORE, AFTER)
    assert counts == {"xacts": 1300, "tup_returned": 8000, "tup_fetched": 4000, "tup_inserted": 150,
                      "tup_updated": 280, "tup_deleted": 4}
    per_order = pgstats.per_operation(counts, 20)
    assert per_order == {"xacts": 65.0, "tup_returned": 400.0, "tup_fetched": 200.0, "tup_inserted": 7.5,
                         "tup_updated": 14.0, "tup_deleted": 0.2}
    assert pgstats.per_operation(counts, 0) == {name: None for name in pgstats.COUNTERS}


def test_read_settled_waits_for_the_flush_once(monkeypatch):
    now = [1000.0]
    slept = []
    readings = iter([BEFORE, AFTER])
    monkeypatch.setattr(pgstats, "read_counters", lambda url, db: next(readings))
    meter = pgstats.PgMeter("postgresql://x/postgres", "bench", flush_seconds=10.5, clock=lambda: now[0],
                            sleep=lambda s: (slept.append(s), now.__setitem__(0, now[0] + s)))
    now[0] += 4.0
    meter.touched()
    now[0] += 2.5
    assert meter.read_settled() == BEFORE
    assert slept == [8.0]  # 10.5 s after the last use
    assert meter.read_settled() == AFTER  # nothing used the database since: no more waiting
    assert slept == [8.0]
