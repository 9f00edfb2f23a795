"""Each job type is declared once (services.platform.job_types) and its actor takes its options from
that declaration, in the module of its queue. (`workers.actors` is imported only after the `app`
fixture installed the broker: importing it earlier would bind every actor to Dramatiq's default.)"""

import dramatiq

from services.platform import job_types
from workers import redelivery
from workers.dispatch import ACTORS


def test_every_job_type_has_one_actor_built_from_its_declaration(app):
    assert set(ACTORS) == set(job_types.JOB_TYPES)
    names = [actor.actor_name for actor in ACTORS.values()]
    assert len(names) == len(set(names))
    for name, spec in job_types.JOB_TYPES.items():
        actor = ACTORS[name]
        assert isinstance(actor, dramatiq.Actor)
        assert actor.queue_name == spec.queue
        assert actor.options["time_limit"] == spec.time_limit * 1000
        # attempts are the job platform's, counted in the database; the broker redelivers
        # only when the platform itself was unreachable (workers.redelivery)
        assert actor.options["retry_when"] is redelivery.redeliver_when


def test_every_actor_lives_in_the_module_of_its_queue(app):
    from workers import actors  # after the app installed the broker (importing it declares the actors)

    for name, spec in job_types.JOB_TYPES.items():
        module = actors.QUEUE_MODULES[spec.queue]
        assert getattr(module, ACTORS[name].actor_name) is ACTORS[name], name


def test_declared_leases_fit_their_time_limits_and_long_jobs_get_longer_ones():
    for spec in job_types.JOB_TYPES.values():
        assert 0 < spec.lease <= spec.time_limit and spec.queue in job_types.QUEUES
    assert job_types.JOB_TYPES["fraud_train"].lease > job_types.JOB_TYPES["checkout"].lease
