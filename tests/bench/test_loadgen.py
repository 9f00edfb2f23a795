"""bench.loadgen's drivers and bench.client, without a Cartwheel server (fake operations,
and a tiny aiohttp server on loopback for the client)."""

import asyncio

import aiohttp
from aiohttp import web

from bench import loadgen
from bench.client import Client, OperationFailed, Recorder, poll_delays, wait_job
from bench.scenarios import Context, Scenario, parse_time


def context(recorder):
    return Context(client=Client(None, "http://127.0.0.1:1", recorder), products=[{"id": "p", "variantId": "v"}])


def test_closed_loop_counts_operations_errors_and_the_drain():
    recorder = Recorder()
    calls = {"n": 0}

    async def operation(ctx, user):
        calls["n"] += 1
        mine = calls["n"]
        await asyncio.sleep(0.02)
        if mine % 5 == 0:
            raise OperationFailed("every fifth fails")
        return 1.0 if user["index"] == 0 else None

    figures = asyncio.run(loadgen.closed_loop(context(recorder), Scenario("t", operation), users=3, seconds=0.2))
    assert figures["windowSeconds"] == 0.2 and 0.2 <= figures["elapsedSeconds"] < 3
    done = len(recorder.operations)
    assert done + recorder.operation_errors == calls["n"]
    assert recorder.operation_errors == calls["n"] // 5
    assert 1.0 in recorder.operations and max(recorder.operations) >= 15  # own latency, or measured
    assert recorder.errors[0] == "every fifth fails"


def test_open_loop_starts_on_schedule_and_abandons_the_slow():
    recorder = Recorder()
    started = []

    async def operation(ctx, user):
        started.append(asyncio.get_running_loop().time())
        await asyncio.sleep(5 if len(started) == 10 else 0.01)  # the last arrival is stuck

    figures = asyncio.run(loadgen.open_loop(context(recorder), Scenario("t", operation, open_loop=True),
                                            rate=50, seconds=0.2, drain_seconds=0.5))
    assert figures["arrivals"] == 10 and len(started) == 10
    assert figures["unfinishedAtEnd"] >= 1 and figures["abandoned"] == 1
    assert len(recorder.operations) == 9 and recorder.operation_errors == 1
    # Arrival i is planned 20 ms x i after the first: never earlier (later under a loaded machine).
    assert all(t - started[0] >= i * 0.02 - 0.002 for i, t in enumerate(started))


def test_poll_delays_back_off_to_a_cap():
    delays = poll_delays(0.05, 0.4)
    assert [round(next(delays), 4) for _ in range(7)] == [0.05, 0.075, 0.1125, 0.1688, 0.2531, 0.3797, 0.4]


def test_parse_time():
    assert parse_time("1970-01-01T00:00:01.250Z") == 1.25


def test_client_records_and_wait_job_follows_etags():
    polls = {"n": 0}

    async def job(request):
        polls["n"] += 1
        if polls["n"] < 3:
            if request.headers.get("If-None-Match") == "W/\"1\"":
                return web.Response(status=304, headers={"ETag": "W/\"1\""})
            return web.json_response({"data": {"id": "job_1", "state": "running"}}, headers={"ETag": "W/\"1\""})
        return web.json_response({"data": {"id": "job_1", "state": "succeeded"}}, headers={"ETag": "W/\"2\""})

    async def broken(request):
        return web.json_response({"error": {"code": "INTERNAL"}}, status=500)

    async def scenario():
        app = web.Application()
        app.router.add_get("/api/v1/jobs/job_1", job)
        app.router.add_post("/broken", broken)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        recorder = Recorder()
        try:
            async with aiohttp.ClientSession() as session:
                client = Client(session, f"http://127.0.0.1:{port}", recorder)
                done = await wait_job(client, {"id": "job_1", "state": "queued"}, token="t", poll_seconds=0.001,
                                      poll_max_seconds=0.002, timeout_seconds=5)
                try:
                    await client.call("broken", "POST", "/broken", json_body={})
                except OperationFailed as exc:
                    failure = str(exc)
        finally:
            await runner.cleanup()
        return done, recorder, failure

    done, recorder, failure = asyncio.run(scenario())
    assert done["state"] == "succeeded"
    assert recorder.polls == 3 and len(recorder.requests["job poll"]) == 3
    assert recorder.request_errors == {"broken": 1}
    assert failure == "broken: HTTP 500 {'code': 'INTERNAL'}"
