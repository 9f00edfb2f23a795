"""Content (seeds 002 and 003): shoppable videos (and, from other modules, stores and recipes).

Shoppable videos, one idea per module:

- `videos`: who sees which video, the list and its filters, the views (with linked products'
  current prices and stock, through services.catalog);
- `video_writes`: create (upload or external URL), change, delete (creators and admins);
- `video_uploads`: the video file's container check, size limit and duration, the thumbnail's
  re-encoding, the files on disk;
- `video_categories`: the managed category list (VIDEO_CATEGORIES);
- `video_engagement`: likes (one per user), shares and views, the `video_engagement` event;
- `video_counters`: the Redis (or in-process) buffer of views and shares, and its flush job;
- `video_comments`: comments and their moderation;
- `video_sources`: the video an add-to-cart came from (used by services.orders).

services.content imports neither services.orders nor services.wallet; they may import it.
"""

from services.content.reasons import REASONS
# shoppable videos
from services.content.video_categories import check_category, list_categories
from services.content.video_comments import add_comment, comment_view, list_comments, moderate_comment
from services.content.video_counters import (JOB_TYPE as VIDEO_COUNTERS_JOB_TYPE, flush_counters,
                                             run_counters_flush, schedule_counters_flush)
from services.content.video_engagement import record as record_video_event
from services.content.video_engagement import set_like
from services.content.video_sources import check_source_video
from services.content.video_uploads import folder as video_folder
from services.content.video_uploads import media_type as video_media_type
from services.content.video_writes import create_video, delete_video, update_video
from services.content.videos import ORDERS as VIDEO_ORDERS
from services.content.videos import VideoFilters, get_video, list_videos, may_edit, video_views

__all__ = [
    "REASONS",
    # shoppable videos
    "VIDEO_COUNTERS_JOB_TYPE", "VIDEO_ORDERS", "VideoFilters", "add_comment", "check_category",
    "check_source_video", "comment_view", "create_video", "delete_video", "flush_counters", "get_video",
    "list_categories", "list_comments", "list_videos", "may_edit", "moderate_comment", "record_video_event",
    "run_counters_flush", "schedule_counters_flush", "set_like", "update_video", "video_folder", "video_media_type",
    "video_views",
]
