"""Queue `maintenance`: the periodic jobs the scheduler writes (see services.maintenance), and probes."""

from services import maintenance
from services.platform import probe
from workers.actor import job_actor

run_maintenance = job_actor("maintenance", "run_maintenance", maintenance.run_maintenance)
run_probe = job_actor("probe", "run_probe", probe.run_probe)
