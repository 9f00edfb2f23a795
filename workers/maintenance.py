"""Queue `maintenance`: the periodic jobs the scheduler writes (see services.maintenance)."""

from services import maintenance
from workers.actor import job_actor

run_maintenance = job_actor("maintenance", "run_maintenance", maintenance.run_maintenance)
