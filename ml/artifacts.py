"""Model artifacts on disk, saved with skops and never unpickled.

`save_artifact` writes an object with `skops.io.dumps` to a file named by its
sha256 (content-addressed, written atomically). `load_artifact` reads the
bytes, checks their sha256 against the registry's value BEFORE parsing
anything, refuses any type outside an explicit trusted list, and only then
loads with `skops.io.loads(trusted=[...])`. `trust=True`-style blanket trust
is not accepted. See skops' "Secure persistence" documentation
(https://skops.readthedocs.io/en/stable/persistence.html).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import platform
import tempfile
from pathlib import Path



class ArtifactError(Exception):
    """An artifact cannot be loaded safely. Subclasses say why."""


class ArtifactIntegrityError(ArtifactError):
    """The file's sha256 differs from the registered one (tampered, truncated or replaced)."""


class UntrustedArtifactError(ArtifactError):
    """The artifact contains types outside the trusted list. `untrusted` names them."""

    def __init__(self, message: str, untrusted: list[str]):
        super().__init__(message)
        self.untrusted = untrusted


def sha256_bytes(data: bytes) -> str:
    """Hex sha256 digest of `data`."""
    return hashlib.sha256(data).hexdigest()


def library_versions() -> dict:
    """Versions of the libraries a model depends on: {"python", "sklearn", "numpy", "scipy", "skops"}."""
    import numpy
    import scipy
    import skops
    import sklearn

    return {"python": platform.python_version(), "sklearn": sklearn.__version__, "numpy": numpy.__version__,
            "scipy": scipy.__version__, "skops": skops.__version__}


def save_artifact(obj, directory: str | os.PathLike) -> tuple[str, str]:
    """Save `obj` with skops under `directory` (created if needed).

    Returns `(path, sha256)`: the absolute path `<directory>/<sha256>.skops` and
    the hex sha256 of its bytes. The file is written to a temporary name and
    renamed, so a reader never sees a partial file.
    """
    import skops.io as sio  # loaded only by processes that save or load models

    data = sio.dumps(obj)
    digest = sha256_bytes(data)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / f"{digest}.skops"
    write_atomically(final, data)
    return str(final.resolve()), digest


def write_atomically(final: Path, data: bytes) -> None:
    """Write `data` to `final`: a temporary file in the same folder (mode 0600, `mkstemp`),
    flushed and fsynced, then renamed over `final` (atomic on POSIX), so a reader never sees a
    partial file and a crash leaves either the old file or the new one. The temporary file is
    removed on any error, which is re-raised."""
    fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, final)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_artifact(path: str | os.PathLike, expected_sha256: str, trusted: list[str]):
    """Load the skops artifact at `path` after checking it.

    1. Reads the whole file and compares its sha256 with `expected_sha256`
       (constant-time); a mismatch raises ArtifactIntegrityError and nothing is parsed.
    2. Lists the types in the file that skops does not trust by default; any not
       in `trusted` (fully qualified names, e.g.
       "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper") raises
       UntrustedArtifactError naming them.
    3. Loads from the same bytes that were hashed, with `trusted=trusted`.

    `trusted` must be a list/tuple of strings (never True). Raises
    ArtifactError when the file is missing or unreadable as skops.
    """
    if isinstance(trusted, (str, bytes)) or not isinstance(trusted, (list, tuple)) \
            or not all(isinstance(t, str) for t in trusted):
        raise TypeError("trusted must be an explicit list of fully qualified type names")
    if not isinstance(expected_sha256, str) or len(expected_sha256) != 64:
        raise ArtifactIntegrityError("the registry holds no valid sha256 for this artifact")
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ArtifactError(f"cannot read model artifact {path}: {exc.strerror or exc}") from None
    actual = sha256_bytes(data)
    if not hmac.compare_digest(actual, expected_sha256.lower()):
        raise ArtifactIntegrityError(
            f"model artifact {path} has sha256 {actual}, expected {expected_sha256}: refusing to load")
    import skops.io as sio  # loaded only by processes that save or load models

    try:
        untrusted = sio.get_untrusted_types(data=data)
    except Exception as exc:  # not a skops file
        raise ArtifactError(f"model artifact {path} is not a readable skops file: {exc}") from None
    refused = sorted(set(untrusted) - set(trusted))
    if refused:
        raise UntrustedArtifactError(
            f"model artifact {path} contains untrusted types: {', '.join(refused)}", refused)
    return sio.loads(data, trusted=list(trusted))
