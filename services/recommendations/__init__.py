"""Recommendations: the `recommendations_train` job and the serving reads (DESIGN.md section 5).

Modules: `signals` (interaction events), `training` (the job, registry, serving
tables), `runs` (which run serves what), `serving` (related, personal, popular,
trending, homepage), `fallback` (on-the-fly lists before the first training),
`nightly` (the periodic training task), `synthetic` (generated histories as rows).
"""

from services.recommendations.nightly import recommendations_nightly
from services.recommendations.reasons import REASONS
from services.recommendations.runs import KIND, newest_run, personal_run, run_result
from services.recommendations.serving import (MAX_LIMIT, Scored, for_user, homepage, model_status, new_arrivals,
                                              popular, related, trending)
from services.recommendations.signals import load_events
from services.recommendations.synthetic import seed_synthetic_history
from services.recommendations.training import (OPTION_FIELDS, TRUSTED_TYPES, run_training_job, start_training,
                                               training_options)

__all__ = [
    "KIND", "MAX_LIMIT", "OPTION_FIELDS", "REASONS", "TRUSTED_TYPES", "Scored", "for_user", "homepage",
    "load_events", "model_status", "new_arrivals", "newest_run", "personal_run", "popular",
    "recommendations_nightly", "related", "run_result", "run_training_job", "seed_synthetic_history",
    "start_training", "training_options", "trending",
]
