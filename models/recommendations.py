"""Recommendation serving tables, written by the `recommendations_train` job and read by the API.

A training run (`RecommendationRun`) writes its rows tagged with its id, then
becomes `active` in the same transaction that supersedes the previous run, so
readers always see one complete set. Requests only read these rows: nothing
is trained or scored in a request.

- `RelatedProduct`: top-N item-item neighbours of each product (cosine).
- `UserRecommendation`: top-N products per active customer (the served model),
  excluding what they already interacted with.
- `PopularProduct`: ranked lists by `kind` popular (decayed weighted
  interactions) and trending (short half-life, recent window).
"""

import peewee

from models.db import BaseModel, JSONField, PrefixedIdField, utcnow

RUN_STATUSES = ("building", "active", "superseded")
LIST_KINDS = ("popular", "trending")


class RecommendationRun(BaseModel):
    """One training run: its job, registry version, metrics and counts; `status` building | active | superseded."""

    id = PrefixedIdField("rrun")
    job_id = peewee.CharField(max_length=40, null=True, unique=True)
    model_version_id = peewee.CharField(max_length=40, null=True)
    status = peewee.CharField(max_length=16, default="building", index=True)
    served_model = peewee.CharField(max_length=32, default="popularity")
    personalized = peewee.BooleanField(default=False)
    metrics = JSONField(default=dict)
    params = JSONField(default=dict)
    counts = JSONField(default=dict)
    trained_at = peewee.DateTimeField(default=utcnow)
    activated_at = peewee.DateTimeField(null=True)


class RelatedProduct(BaseModel):
    """`related_id` is the `rank`-th nearest neighbour (1 = closest) of `product_id` in `run`."""

    run = peewee.ForeignKeyField(RecommendationRun, on_delete="CASCADE")
    product_id = peewee.CharField(max_length=40)
    rank = peewee.SmallIntegerField()
    related_id = peewee.CharField(max_length=40)
    score = peewee.FloatField()

    class Meta:
        primary_key = peewee.CompositeKey("run", "product_id", "rank")


class UserRecommendation(BaseModel):
    """The `rank`-th recommendation (1 = best) for `user_id` in `run`."""

    run = peewee.ForeignKeyField(RecommendationRun, on_delete="CASCADE")
    user_id = peewee.CharField(max_length=40)
    rank = peewee.SmallIntegerField()
    product_id = peewee.CharField(max_length=40)
    score = peewee.FloatField()

    class Meta:
        primary_key = peewee.CompositeKey("run", "user_id", "rank")


class PopularProduct(BaseModel):
    """The `rank`-th product of list `kind` (popular | trending) in `run`."""

    run = peewee.ForeignKeyField(RecommendationRun, on_delete="CASCADE")
    kind = peewee.CharField(max_length=16)
    rank = peewee.SmallIntegerField()
    product_id = peewee.CharField(max_length=40)
    score = peewee.FloatField()

    class Meta:
        primary_key = peewee.CompositeKey("run", "kind", "rank")
