"""Queue `checkout`: placing orders."""

from services import orders
from workers.actor import job_actor

place_order = job_actor("checkout", "place_order", orders.run_checkout_job)
