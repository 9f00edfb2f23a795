"""Queue `maintenance`: the periodic jobs the scheduler writes (see services.maintenance), sitemap builds, probes
and the flush of buffered video counters."""

from services import catalog, content, maintenance
from services.platform import probe
from workers.actor import job_actor

run_maintenance = job_actor("maintenance", "run_maintenance", maintenance.run_maintenance)
build_sitemap = job_actor("sitemap_build", "build_sitemap", catalog.run_sitemap_job)
run_probe = job_actor("probe", "run_probe", probe.run_probe)
flush_video_counters = job_actor("video_counters_flush", "flush_video_counters", content.run_counters_flush)
