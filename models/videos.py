"""Shoppable videos (seed 002 "Videos Collection"; migration 0038): videos, the products they
show, likes, comments and the flush markers of the buffered view and share counters
(services.content)."""

import peewee

from models.catalog import Product
from models.db import BaseModel, JSONField, PrefixedIdField, utcnow
from models.users import User

COMMENT_STATUSES = ("pending", "approved", "rejected")


class Video(BaseModel):
    """A video: an uploaded file (`video_file`, a name under `<MEDIA_DIR>/videos/<id>/`, with its
    `content_type` and `file_bytes`) or an `external_url` (https), never both; a `thumbnail`
    (a re-encoded image's file name in the same folder) or none.

    `category` is one of the VIDEO_CATEGORIES setting (services.content.video_categories); `tags`
    a JSON list of lower-case tags; `duration` seconds (from the container when it says, else as
    declared; None: unknown). Counters: `views` and `shares` as flushed from the buffer
    (services.content.video_counters adds what is not flushed yet), `likes` = VideoLike rows,
    `comments` = approved VideoComment rows, both kept by conditional UPDATEs in the transaction
    that changes those rows."""

    id = PrefixedIdField("vid")
    title = peewee.CharField(max_length=200)
    description = peewee.TextField(default="")
    creator = peewee.ForeignKeyField(User, null=True, backref="videos", on_delete="SET NULL")
    category = peewee.CharField(max_length=40, index=True)
    tags = JSONField(default=list)
    video_file = peewee.CharField(max_length=40, null=True)
    content_type = peewee.CharField(max_length=40, null=True)
    file_bytes = peewee.BigIntegerField(null=True)
    external_url = peewee.CharField(max_length=2048, null=True)
    thumbnail = peewee.CharField(max_length=40, null=True)
    duration = peewee.IntegerField(null=True)
    is_published = peewee.BooleanField(default=False, index=True)
    is_featured = peewee.BooleanField(default=False, index=True)
    views = peewee.BigIntegerField(default=0)
    likes = peewee.IntegerField(default=0)
    shares = peewee.BigIntegerField(default=0)
    comments = peewee.IntegerField(default=0)
    created_at = peewee.DateTimeField(default=utcnow, index=True)
    updated_at = peewee.DateTimeField(default=utcnow)


class VideoProduct(BaseModel):
    """A product shown in a video (the shoppable link), in `position` order."""

    video = peewee.ForeignKeyField(Video, backref="product_links", on_delete="CASCADE")
    product = peewee.ForeignKeyField(Product, backref="video_links", on_delete="CASCADE")
    position = peewee.IntegerField(default=0)

    class Meta:
        indexes = ((("video", "product"), True),)


class VideoLike(BaseModel):
    """One user's like of one video (at most one: the unique index)."""

    video = peewee.ForeignKeyField(Video, backref="like_rows", on_delete="CASCADE")
    user = peewee.ForeignKeyField(User, backref="video_likes", on_delete="CASCADE")
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("video", "user"), True),)


class VideoComment(BaseModel):
    """A comment on a video: `body` sanitised HTML; `status` one of COMMENT_STATUSES (staff's are
    approved at once, others wait for moderation)."""

    id = PrefixedIdField("vcm")
    video = peewee.ForeignKeyField(Video, backref="comment_rows", on_delete="CASCADE")
    author = peewee.ForeignKeyField(User, backref="video_comments", on_delete="CASCADE")
    body = peewee.TextField()
    status = peewee.CharField(max_length=16, default="pending", index=True)
    moderated_by = peewee.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    moderated_at = peewee.DateTimeField(null=True)
    created_at = peewee.DateTimeField(default=utcnow, index=True)


class VideoCounterFlush(BaseModel):
    """A batch of buffered view/share counts applied to `video` rows: written in the same
    transaction as the increments, so a batch retried after a crash is applied at most once
    (services.content.video_counters). Pruned after FLUSH_MARKER_DAYS."""

    batch = peewee.CharField(max_length=80, primary_key=True)
    views = peewee.BigIntegerField(default=0)
    shares = peewee.BigIntegerField(default=0)
    applied_at = peewee.DateTimeField(default=utcnow, index=True)
