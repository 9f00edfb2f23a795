"""Comments on videos: written by any signed-in user (body sanitised with nh3:
services.platform.html), `pending` until staff (`videos:moderate`) approve or reject them;
staff's own comments are approved at once. The public list shows approved comments; a signed-in
user also sees their own pending and rejected ones; moderators list any status. The video's
`comments` counter counts approved comments and moves by one with a conditional UPDATE in the
transaction that changes a comment's status (only when the status really changed), so
concurrent moderation keeps it exact. An approval announces `video_engagement` to the creator.
"""

from __future__ import annotations

from models.db import atomic, is_postgres, isoformat, utcnow
from models.users import User
from models.videos import COMMENT_STATUSES, Video, VideoComment
from services.content.video_engagement import announce
from services.content.videos import allowed, get_video
from services.errors import NotFound, ValidationFailed
from services.platform import html

MAX_BODY = 2000  # characters of a comment as sent


def comment_view(comment: VideoComment) -> dict:
    """`{"id", "videoId", "author": {"id", "name"}, "body" (sanitised HTML), "status",
    "createdAt", "moderatedAt"}`."""
    author = comment.author
    name = " ".join(part for part in (author.first_name, (author.last_name[:1] + ".") if author.last_name else "")
                    if part) or "Customer"
    return {"id": comment.id, "videoId": comment.video_id, "author": {"id": author.id, "name": name},
            "body": comment.body, "status": comment.status, "createdAt": isoformat(comment.created_at),
            "moderatedAt": isoformat(comment.moderated_at)}


def list_comments(video_id: str, user: User | None, status: str | None, page: int,
                  limit: int) -> tuple[list[VideoComment], int]:
    """A page of the video's comments `user` may see, oldest first, and their total; `status`
    filters (moderators: any status; others: approved, plus their own of any status).
    Raises NotFound (404 `video_not_found`)."""
    video = get_video(video_id, user)
    query = VideoComment.select(VideoComment, User).join(User, on=(VideoComment.author == User.id)).where(
        VideoComment.video == video.id)
    if user is None or not allowed(user, "videos:moderate"):
        mine = (VideoComment.author == user.id) if user is not None else False
        query = query.where((VideoComment.status == "approved") | mine)
    if status is not None:
        query = query.where(VideoComment.status == status)
    total = query.count()
    return list(query.order_by(VideoComment.created_at, VideoComment.id).paginate(page, limit)), total


def add_comment(video_id: str, user: User, body: str) -> VideoComment:
    """A new comment by `user` (approved at once for moderators, else pending). Raises NotFound
    (404 `video_not_found`), ValidationFailed (422 `validation_failed`: nothing left after
    sanitising)."""
    video = get_video(video_id, user)
    clean = html.sanitize_html(body.strip())
    if not html.plain_text(clean):
        raise ValidationFailed("The comment is empty", details=[{"field": "body", "message": "Write some text"}])
    moderator = allowed(user, "videos:moderate")
    now = utcnow()
    with atomic():
        comment = VideoComment.create(video=video.id, author=user.id, body=clean, created_at=now,
                                      status="approved" if moderator else "pending",
                                      moderated_by=user.id if moderator else None,
                                      moderated_at=now if moderator else None)
        if moderator:
            Video.update(comments=Video.comments + 1).where(Video.id == video.id).execute()
            announce(Video.get_by_id(video.id), "comment", user.id, commentId=comment.id)
    return VideoComment.select(VideoComment, User).join(User, on=(VideoComment.author == User.id)).where(
        VideoComment.id == comment.id).get()


def moderate_comment(video_id: str, comment_id: str, moderator: User, status: str) -> VideoComment:
    """Set a comment's status to `status` ("approved" | "rejected"; again: nothing changes).
    Raises NotFound (404 `video_comment_not_found`)."""
    if status not in COMMENT_STATUSES[1:]:
        raise ValueError(status)
    with atomic():
        query = VideoComment.select().where(VideoComment.id == comment_id, VideoComment.video == video_id)
        comment = (query.for_update() if is_postgres() else query).first()  # read fresh, locked: the old status
        if comment is None:
            raise NotFound("Comment not found", reason="video_comment_not_found")
        changed = VideoComment.update(status=status, moderated_by=moderator.id, moderated_at=utcnow()).where(
            VideoComment.id == comment.id, VideoComment.status != status).execute()
        if changed and status == "approved":
            Video.update(comments=Video.comments + 1).where(Video.id == video_id).execute()
            announce(Video.get_by_id(video_id), "comment", comment.author_id, commentId=comment.id)
        elif changed and comment.status == "approved":
            Video.update(comments=Video.comments - 1).where(Video.id == video_id, Video.comments > 0).execute()
    return VideoComment.select(VideoComment, User).join(User, on=(VideoComment.author == User.id)).where(
        VideoComment.id == comment.id).get()
