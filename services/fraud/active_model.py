"""The active fraud model: the registry kind and the loaded (cached) bundle of its active version."""

from __future__ import annotations

from services.platform import model_registry

KIND = "fraud"

_bundle_cache: dict[str, dict] = {}


def active_bundle():
    """(ModelVersion, bundle) of the active fraud model, or (None, None). Bundles are cached by id."""
    version = model_registry.active(KIND)
    if version is None:
        return None, None
    bundle = _bundle_cache.get(version.id)
    if bundle is None:
        from ml.fraud import scoring  # numpy/scikit-learn load only in processes that score

        bundle = model_registry.load(version, scoring.TRUSTED_TYPES)
        _bundle_cache.clear()
        _bundle_cache[version.id] = bundle
    return version, bundle
