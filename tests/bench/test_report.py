"""bench.report: one scenario's summary, the smoke checks, and the table."""

import json

from bench import report

CLK = 100  # ticks per second in these tests: 1 tick = 10 ms


def raw_closed():
    return {"scenario": "checkout_guest", "jobWait": "prefer",
            "loop": {"windowSeconds": 2.0, "elapsedSeconds": 2.4},
            "recorded": {"requests": {"cart create": [5.0, 7.0, 9.0, 11.0], "order POST": [100.0, 200.0, 300.0, 400.0]},
                         "requestErrors": {"cart add": 1},
                         "operations": [150.0, 250.0, 350.0, 450.0], "completions": [0.5, 1.0, 1.9, 2.3],
                         "operationErrors": 1, "timings": {"checkout": [90.0, 190.0, 290.0, 390.0]},
                         "polls": 2, "errors": ["cart add: HTTP 500 {}"]}}


def summary(raw=None, pg=None, quiet=True):
    ticks = {"api": 40, "core": 80, "model": 20, "scheduler": 0, "postgres": 60, "redis": 8, "loadgen": 12,
             "postgresBench": 50}
    return report.scenario_summary(raw or raw_closed(), users=4, cpu_ticks=ticks, cpu_wall_seconds=3.456,
                                   settle={"quiet": quiet, "seconds": 0.9}, pg_delta=pg, clk_tck=CLK)


def test_scenario_summary_closed_loop():
    s = summary(pg={"xacts": 240, "tup_returned": 4000, "tup_fetched": 2000, "tup_inserted": 60,
                    "tup_updated": 100, "tup_deleted": 0})
    assert s["loop"] == "closed" and s["users"] == 4 and s["jobWait"] == "prefer"
    assert s["operations"] == 4 and s["errors"] == 1
    assert s["perSecond"] == 1.5  # 3 completed within the 2 s window (the 4th in the drain)
    assert s["latencyMs"]["p50"] == 250.0 and s["latencyMs"]["p99"] == 450.0
    assert s["checkoutMs"]["p95"] == 390.0
    assert s["requests"]["order POST"] == {"count": 4, "errors": 0, "perSecond": 1.7, "p50": 200.0,
                                           "p95": 400.0, "p99": 400.0, "max": 400.0, "mean": 250.0}
    assert s["requests"]["cart add"] == {"count": 0, "errors": 1}
    assert s["pollsPerOp"] == 0.5
    assert s["cpuMsPerOp"]["api"] == 100.0 and s["cpuMsPerOp"]["core"] == 200.0
    assert s["cpuMsPerOp"]["total"] == (40 + 80 + 20 + 60 + 8) * 10 / 4
    assert s["cpuMsPerOp"]["loadgen"] == 30.0
    assert s["cpuSeconds"]["postgres"] == 0.6 and s["cpuWallSeconds"] == 3.46
    assert s["dbPerOp"] == {"xacts": 60.0, "tup_returned": 1000.0, "tup_fetched": 500.0, "tup_inserted": 15.0,
                            "tup_updated": 25.0, "tup_deleted": 0.0}
    assert s["errorSamples"] == ["cart add: HTTP 500 {}"]
    assert "dbPerOp" not in summary()
    no_jobs = raw_closed()
    no_jobs["recorded"]["timings"] = {}
    assert summary(no_jobs)["jobWait"] is None


def test_order_scenarios_divide_by_the_orders_placed():
    pg = {"xacts": 240, "tup_returned": 4000, "tup_fetched": 2000, "tup_inserted": 60, "tup_updated": 100,
          "tup_deleted": 0}
    ticks = {"api": 40, "core": 80, "model": 20, "scheduler": 0, "postgres": 60, "redis": 8, "loadgen": 12}
    s = report.scenario_summary(raw_closed(), users=4, cpu_ticks=ticks, cpu_wall_seconds=1.0,
                                settle={"quiet": True, "seconds": 0.1}, pg_delta=pg, orders_placed=8, clk_tck=CLK)
    assert s["operations"] == 4 and s["ordersPlaced"] == 8 and s["per"] == "order placed"
    assert s["cpuMsPerOp"]["api"] == 50.0 and s["dbPerOp"]["xacts"] == 30.0
    assert summary()["per"] == "operation" and "ordersPlaced" not in summary()


def test_scenario_summary_open_loop():
    raw = raw_closed()
    raw["loop"] = {"windowSeconds": 2.0, "elapsedSeconds": 3.0, "rate": 10.0, "arrivals": 20, "maxLagMs": 1.5,
                   "unfinishedAtEnd": 3, "abandoned": 0}
    s = summary(raw)
    assert s["loop"] == "open" and s["users"] is None
    assert s["open"] == {"plannedPerSecond": 10.0, "arrivals": 20, "maxStartLagMs": 1.5, "unfinishedAtEnd": 3,
                         "abandoned": 0}


def test_problems():
    good = summary()
    good["errors"] = 0
    assert report.problems({"browse": good}) == []
    empty = dict(good, operations=0)
    abandoned = dict(good, open={"abandoned": 2})
    restless = summary(quiet=False)
    found = report.problems({"a": empty, "b": summary(), "c": abandoned, "d": restless,
                             "e": {"failed": "RuntimeError: boom"}})
    assert found[0] == "a: no operation completed"
    assert found[1].startswith("b: 1 failed operations (cart add: HTTP 500")
    assert found[2] == "c: 2 operations abandoned"
    assert any(p.startswith("d: the stack was not quiet") for p in found)
    assert found[-1] == "e: RuntimeError: boom"


def test_table_pads_and_aligns():
    text = report.table(["name", "n", "ms"], [["browse", 1200, 3.25], ["checkout_user", 7, None]])
    assert text.splitlines() == [
        "name               n    ms",
        "-------------  -----  ----",
        "browse         1,200  3.25",
        "checkout_user      7     -",
    ]
    assert report.table(["a", "b"], [["x", 12.345]], right=set()).splitlines()[2] == "x  12.3"


def test_render_a_whole_result():
    s = summary(pg={"xacts": 240, "tup_returned": 4000, "tup_fetched": 2000, "tup_inserted": 60,
                    "tup_updated": 100, "tup_deleted": 0})
    result = {"startedAt": "2026-12-01T10:00:00",
              "config": {"webWorkers": 2, "webThreads": 8, "workerProcesses": 2, "workerThreads": 8, "cpus": 2},
              "idleCpuMsPerSecond": {"api": 0.0, "core": 100.0},
              "scenarios": {"checkout_guest": s, "cart": {"failed": "RuntimeError: boom"}},
              "peakRssMB": {"byRole": {"api": 150.0},
                            "processes": [{"role": "api", "pid": 10, "command": "gunicorn", "peakRssMB": 150.0}]},
              "problems": ["cart: RuntimeError: boom"], "logs": "bench-results/x"}
    json.dumps(result)
    text = report.render(result)
    assert "checkout_guest  4 users    prefer    4       1" in text
    assert "Database per operation" in text and "60" in text
    assert "PROBLEMS:\n  cart: RuntimeError: boom" in text
    assert "Peak RSS (MB, VmHWM): api 150" in text
