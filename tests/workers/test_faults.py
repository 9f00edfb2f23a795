"""Nothing is lost when the database or the broker fails around a job (issue 7):

- a message whose job was dispatched but never claimed (lost with a Redis restart,
  prefetched by a killed worker) is sent again after the dispatch lease;
- a database error while a worker picks a message up is redelivered by the broker
  with backoff, never dead-lettered on the first error;
- a database error inside a job releases it at once, on a fresh connection;
- dead-lettered messages are drained back into recovery.
"""

import datetime as dt

import dramatiq
import peewee
import pytest

from models.db import database, utcnow
from models.jobs import Job
from services.platform import jobs, recovery
from tests.conftest import backend_is_stub
from workers import broker as broker_module
from workers import dead_letters, redelivery, relay, runner
from workers.redelivery import PlatformUnavailable


def queued_probe() -> Job:
    return jobs.create_job("probe", {})


def age(job: Job, **fields_seconds) -> None:
    now = utcnow()
    Job.update(**{name: now - dt.timedelta(seconds=s) for name, s in fields_seconds.items()}).where(
        Job.id == job.id).execute()


def test_a_dispatched_job_never_claimed_is_sent_again_after_the_dispatch_lease(db, settings, monkeypatch):
    sent = []
    monkeypatch.setattr(relay, "send", lambda job: sent.append(job.id) or True)
    lost, fresh = queued_probe(), queued_probe()
    age(lost, dispatched_at=settings.dispatch_lease_seconds + 1, updated_at=60)
    age(fresh, dispatched_at=1, updated_at=60)

    assert relay.relay_once()["resent"] == 1
    assert sent == [lost.id]
    # Its dispatch lease restarted: the next pass does not send it again.
    assert relay.relay_once()["resent"] == 0 and sent == [lost.id]
    assert (utcnow() - Job.get_by_id(lost.id).dispatched_at).total_seconds() < 5


def test_a_job_waiting_for_its_retry_backoff_is_not_resent_before_it_ends(db, settings):
    job = queued_probe()
    age(job, dispatched_at=600)
    Job.update(run_after=utcnow() + dt.timedelta(seconds=30)).where(Job.id == job.id).execute()
    assert recovery.stale_dispatched(settings.dispatch_lease_seconds) == []
    Job.update(run_after=utcnow() - dt.timedelta(seconds=settings.dispatch_lease_seconds + 1)).where(
        Job.id == job.id).execute()
    assert [j.id for j in recovery.stale_dispatched(settings.dispatch_lease_seconds)] == [job.id]


def test_running_and_finished_jobs_are_never_resent(db, settings):
    running, done = queued_probe(), queued_probe()
    jobs.claim(running.id)
    jobs.claim(done.id)
    jobs.succeed(done.id, {})
    for job in (running, done):
        age(job, dispatched_at=600)
    assert recovery.stale_dispatched(settings.dispatch_lease_seconds) == []


def test_a_database_error_during_the_claim_is_redelivered_not_dead_lettered(db, monkeypatch):
    job = queued_probe()

    def broken_claim(job_id):
        raise peewee.OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(jobs, "claim", broken_claim)
    with pytest.raises(PlatformUnavailable) as caught:
        runner.run_job(job.id, lambda j, ctx: {})
    assert redelivery.redeliver_when(0, caught.value)
    assert redelivery.redeliver_when(redelivery.MAX_REDELIVERIES - 1, caught.value)
    assert not redelivery.redeliver_when(redelivery.MAX_REDELIVERIES, caught.value)
    assert not redelivery.redeliver_when(0, ValueError("a bug"))
    assert Job.get_by_id(job.id).state == "queued"


def test_a_failed_connect_before_the_message_is_redelivered(db, monkeypatch):
    def refuse(*args, **kwargs):
        raise peewee.OperationalError("connection refused")

    database.close()
    monkeypatch.setattr(database.obj, "connect", refuse)
    with pytest.raises(PlatformUnavailable):
        broker_module.DatabaseConnection().before_process_message(None, None)


def test_a_claim_that_fails_once_is_redelivered_by_the_broker_and_the_job_runs(app, settings, monkeypatch):
    if not backend_is_stub(settings):
        pytest.skip("patches the claim inside this process (the in-process stub worker)")
    real_claim = jobs.claim
    failures = []

    def flaky_claim(job_id):
        if not failures:
            failures.append(job_id)
            raise peewee.OperationalError("the database is restarting")
        return real_claim(job_id)

    monkeypatch.setattr(jobs, "claim", flaky_claim)
    monkeypatch.setattr(redelivery, "MIN_BACKOFF_MS", 10)
    from workers.dispatch import dispatch

    job = queued_probe()
    dispatch(job)
    deadline = utcnow() + dt.timedelta(seconds=15)
    while Job.get_by_id(job.id).state != "succeeded" and utcnow() < deadline:
        import time

        time.sleep(0.05)
    assert failures == [job.id]
    assert Job.get_by_id(job.id).state == "succeeded"
    assert not dramatiq.get_broker().dead_letters


def test_a_database_error_inside_a_job_releases_it_at_once_on_a_fresh_connection(db, monkeypatch):
    job = queued_probe()
    discarded = []
    real_discard = runner.discard_connection
    monkeypatch.setattr(runner, "discard_connection", lambda: discarded.append(1) or real_discard())

    def dies_with_the_database(j, ctx):
        raise peewee.InterfaceError("connection already closed")

    runner.run_job(job.id, dies_with_the_database)  # does not raise
    fresh = Job.get_by_id(job.id)
    assert fresh.state == "queued" and fresh.attempts == 1 and fresh.run_after is not None
    assert "InterfaceError" in fresh.error["message"]
    assert discarded  # the connection the handler used was dropped before the release


def test_a_release_that_cannot_reach_the_database_is_redelivered(db, monkeypatch):
    job = queued_probe()
    monkeypatch.setattr(runner, "RELEASE_SECONDS", 0.3)

    def unreachable(*args, **kwargs):
        raise peewee.OperationalError("could not connect to server")

    def fails(j, ctx):
        monkeypatch.setattr(jobs, "requeue_after_transient", unreachable)
        raise peewee.OperationalError("terminating connection due to administrator command")

    with pytest.raises(PlatformUnavailable):
        runner.run_job(job.id, fails)
    # Still running: the broker redelivers the message, and the lease reclaim covers the rest.
    assert Job.get_by_id(job.id).state == "running"


def test_an_outcome_the_database_cannot_record_is_released_for_a_retry(db, monkeypatch):
    job = queued_probe()
    real_succeed = jobs.succeed
    monkeypatch.setattr(jobs, "succeed", lambda *a, **k: (_ for _ in ()).throw(
        peewee.OperationalError("server closed the connection")))
    runner.run_job(job.id, lambda j, ctx: {"done": True})
    assert Job.get_by_id(job.id).state == "queued"
    monkeypatch.setattr(jobs, "succeed", real_succeed)


def test_dead_lettered_messages_are_drained_back_into_recovery(app, settings, monkeypatch):
    if not backend_is_stub(settings):
        pytest.skip("reads the stub broker's dead-letter queue")
    job = queued_probe()
    jobs.mark_dispatched(job.id)
    broker = dramatiq.get_broker()
    message = dramatiq.Message(queue_name="maintenance", actor_name="run_probe", args=(job.id,), kwargs={},
                               options={})
    broker.dead_letters_by_queue["maintenance"].append(message)
    sent = []
    monkeypatch.setattr(relay, "dispatch_many", lambda batch: sent.extend(j.id for j in batch) or sent)

    counts = relay.relay_once(grace_seconds=0)

    assert counts["deadLettered"] == 1 and job.id in sent
    assert dead_letters.drain(broker) == []  # drained once


def test_the_dead_letter_reader_takes_job_ids_from_redis_messages():
    class FakeRedis:
        def __init__(self):
            self.sets = {"dramatiq:checkout.XQ": [b"m1", b"m2"]}
            self.hashes = {"dramatiq:checkout.XQ.msgs": {b"m1": b'{"args": ["job_abc"]}', b"m2": b"not json"}}

        def zrange(self, key, start, end):
            return list(self.sets.get(key, []))

        def hmget(self, key, ids):
            return [self.hashes[key].get(i) for i in ids]

        def pipeline(self):
            outer = self

            class Pipe:
                def zrem(self, key, *ids):
                    outer.sets[key] = [i for i in outer.sets[key] if i not in ids]

                def hdel(self, key, *ids):
                    for i in ids:
                        outer.hashes[key].pop(i, None)

                def execute(self):
                    return []

            return Pipe()

    class RedisBroker:
        namespace = "dramatiq"
        client = FakeRedis()

    broker = RedisBroker()
    assert dead_letters.drain(broker) == ["job_abc"]
    assert broker.client.sets["dramatiq:checkout.XQ"] == [] and broker.client.hashes["dramatiq:checkout.XQ.msgs"] == {}
