"""Likes, shares and views of a video, and the `video_engagement` real-time event.

- Like (seed 002 "Like/unlike video"): one row per (video, user) under a unique index. A toggle
  inserts the row (`ON CONFLICT DO NOTHING`) or, when there was one, deletes it; the video's
  `likes` moves by one with a conditional UPDATE in the same transaction, only when a row was
  really inserted or deleted, so concurrent likes (even two toggles of one user) keep
  `likes` equal to the rows. `liked` sets the state instead of toggling (a retried request
  changes nothing).
- Share and view: counted in the buffer (services.content.video_counters), never a database
  write per request. A view is counted by `POST /videos/{id}/view` (the player calls it when
  playback starts), not by reading the video, so list and detail reads, prefetches and
  crawlers count nothing.
- `video_engagement` goes to the video's creator (services.platform.user_events, after commit) on
  every like change and when a comment is approved: `{"videoId", "type": "like" | "unlike" |
  "comment", "userId" (who), "engagement": {"views", "likes", "shares", "comments"}}`
  (+ `"commentId"` for a comment).
"""

from __future__ import annotations

from models.db import atomic
from models.users import User
from models.videos import Video, VideoLike
from services.content import video_counters
from services.content.videos import engagement, get_video
from services.platform import user_events


def announce(video: Video, kind: str, user_id: str, **extra) -> None:
    """Publish `video_engagement` to the video's creator after commit (nothing without one).
    Call inside the transaction that made the change."""
    if video.creator_id:
        user_events.publish_user_event(video.creator_id, "video_engagement",
                           {"videoId": video.id, "type": kind, "userId": user_id, "engagement": engagement(video),
                            **extra})


def set_like(user: User, video_id: str, liked: bool | None = None) -> dict:
    """Toggle `user`'s like of the video (or set it to `liked`). Returns `{"liked", "likes"}`.
    Raises NotFound (404 `video_not_found`)."""
    video = get_video(video_id, user)
    with atomic():
        exists = VideoLike.select().where(VideoLike.video == video.id, VideoLike.user == user.id).exists()
        want = (not exists) if liked is None else liked
        if want:
            changed = VideoLike.insert(video=video.id, user=user.id).on_conflict_ignore().as_rowcount().execute()
            if changed:
                Video.update(likes=Video.likes + 1).where(Video.id == video.id).execute()
        else:
            changed = VideoLike.delete().where(VideoLike.video == video.id, VideoLike.user == user.id).execute()
            if changed:
                Video.update(likes=Video.likes - 1).where(Video.id == video.id, Video.likes > 0).execute()
        fresh = Video.get_by_id(video.id)
        if changed:
            announce(fresh, "like" if want else "unlike", user.id)
    return {"liked": want, "likes": int(fresh.likes)}


def record(video_id: str, user: User | None, what: str) -> dict:
    """Count one view or share (`what`: "views" | "shares") of a video `user` may see. Returns
    the video's `engagement`. Raises NotFound (404 `video_not_found`)."""
    video = get_video(video_id, user)
    video_counters.count(video.id, what)
    return engagement(video)
