"""Entry point for `dramatiq workers.app`: configures logs and settings from the environment and declares the actors."""

import logging
import sys

import config

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

from services.platform import logs  # noqa: E402

try:
    logs.configure("worker", logs.json_default())  # JSON lines in production (LOG_FORMAT): services.platform.logs
    settings = config.get()
except config.ConfigError as exc:  # one line naming the setting, then stop
    sys.exit(f"cartwheel: configuration error: {exc}")

from workers.bootstrap import bootstrap  # noqa: E402

broker = bootstrap(settings)
