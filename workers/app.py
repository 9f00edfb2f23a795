"""Entry point for `dramatiq workers.app`: configures from the environment and declares the actors."""

import logging
import sys

import config

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

try:
    settings = config.get()
except config.ConfigError as exc:  # one line naming the setting, then stop
    sys.exit(f"cartwheel: configuration error: {exc}")

from workers.bootstrap import bootstrap  # noqa: E402

broker = bootstrap(settings)
