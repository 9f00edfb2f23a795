"""Shoppable videos (issue 11, seed 002): the video tables (models.videos), the video a cart line
and an order line came from (`cart_item.source_video_id`, `order_item.source_video_id`; null:
not from a video) and the video-attributed sales of the analytics day rollup
(`analytics_day.video_orders`, `analytics_day.video_revenue`)."""

import peewee

from models.migrations.helpers import add_column_if_missing
from models.videos import Video, VideoComment, VideoCounterFlush, VideoLike, VideoProduct


def migrate(database, migrator):
    database.create_tables([Video, VideoProduct, VideoLike, VideoComment, VideoCounterFlush], safe=True)
    for table in ("cart_item", "order_item"):
        add_column_if_missing(database, migrator, table, "source_video_id", peewee.CharField(max_length=40, null=True))
    add_column_if_missing(database, migrator, "analytics_day", "video_orders", peewee.IntegerField(default=0))
    add_column_if_missing(database, migrator, "analytics_day", "video_revenue", peewee.BigIntegerField(default=0))
