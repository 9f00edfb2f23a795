"""A video's uploaded files checked before anything is written.

- The video file: its own bytes decide what it is (services.platform.video_containers: MP4 or
  MOV `ftyp`, WebM EBML), never its name or declared type; anything else is 415
  `video_file_unsupported`; more than VIDEO_MAX_BYTES is 413 `video_file_too_large`. It is
  stored as sent. Its duration comes from the container when it states one (the MP4/MOV movie
  header, the WebM Segment Info): a declared `duration` differing from it by more than a second
  is 422 `video_duration_mismatch`, and the container's (rounded to whole seconds) is kept;
  without one (a WebM without Duration) the declared duration is kept, or none.
- The thumbnail: checked and re-encoded by services.platform.images.clean_image as avatars
  and review photos are (JPEG, PNG, WebP or GIF; metadata dropped; at most THUMBNAIL_SIZE
  pixels a side; 413 over THUMBNAIL_MAX_BYTES, 422 `invalid_image`, 415
  `unsupported_image_type`, 422 `video_thumbnail_dimensions_too_large`).

Files: `<MEDIA_DIR>/videos/<video id>/<22 random URL-safe characters>.<mp4|mov|webm|webp|png>`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import config
from services.errors import DomainError, PayloadTooLarge, ValidationFailed
from services.platform import images, media_files, video_containers

THUMBNAIL_SIZE = 1280  # pixels, the longest side of a stored thumbnail
THUMBNAIL_MAX_BYTES = 10 * 1024 * 1024
THUMBNAIL_MAX_DIMENSION = 8192  # pixels a side an uploaded thumbnail may have
DURATION_TOLERANCE = 1.0  # seconds a declared duration may differ from the container's


class VideoFileTooLarge(PayloadTooLarge):
    """The video (or thumbnail) is larger than its limit (413)."""

    reason = "video_file_too_large"


class VideoFileUnsupported(DomainError):
    """The file is no MP4, MOV or WebM video (415)."""

    status = 415
    code = "UNSUPPORTED_MEDIA_TYPE"
    reason = "video_file_unsupported"


class ThumbnailDimensionsTooLarge(ValidationFailed):
    """The thumbnail is wider or taller than THUMBNAIL_MAX_DIMENSION pixels (422)."""

    reason = "video_thumbnail_dimensions_too_large"


@dataclass(frozen=True)
class CheckedVideo:
    """An accepted video file: its bytes, media type, extension and duration (seconds or None)."""

    data: bytes
    content_type: str
    extension: str
    duration: int | None


def folder(video_id: str) -> Path:
    """`<MEDIA_DIR>/videos/<video id>`."""
    return Path(config.get().media_dir) / "videos" / video_id


def _too_large(field: str, limit: int) -> VideoFileTooLarge:
    return VideoFileTooLarge(f"The {field} must be at most {limit} bytes",
                             details=[{"field": field, "message": f"At most {limit} bytes"}])


def check_video_file(raw: bytes, declared: int | None) -> CheckedVideo:
    """The upload checked (module docstring), `declared` the caller's duration in seconds or None.
    Raises VideoFileTooLarge (413), VideoFileUnsupported (415), ValidationFailed (422
    `video_duration_mismatch`)."""
    limit = config.get().video_max_bytes
    if len(raw) > limit:
        raise _too_large("file", limit)
    found = video_containers.video_type(raw)
    if found is None:
        raise VideoFileUnsupported("The file is not an MP4, MOV or WebM video",
                                   details=[{"field": "file", "message": "MP4, MOV or WebM"}])
    seconds = video_containers.container_duration(raw, found[0])
    if seconds is None:
        return CheckedVideo(raw, found[0], found[1], declared)
    if declared is not None and abs(declared - seconds) > DURATION_TOLERANCE:
        raise ValidationFailed(f"The file lasts {seconds:.1f} s, not {declared} s", reason="video_duration_mismatch",
                               details=[{"field": "duration", "message": f"The container says {seconds:.1f} s"}])
    return CheckedVideo(raw, found[0], found[1], int(seconds + 0.5))


def clean_thumbnail(raw: bytes) -> tuple[bytes, str]:
    """The thumbnail re-encoded (module docstring): (bytes, extension). Raises VideoFileTooLarge
    (413), UnsupportedImageType (415), ValidationFailed (422)."""
    if len(raw) > THUMBNAIL_MAX_BYTES:
        raise _too_large("thumbnail", THUMBNAIL_MAX_BYTES)
    return images.clean_image(raw, longest_side=THUMBNAIL_SIZE, max_dimension=THUMBNAIL_MAX_DIMENSION,
                              field="thumbnail", too_wide=ThumbnailDimensionsTooLarge)


def store(video_id: str, data: bytes, extension: str) -> str:
    """Write a checked file into the video's folder; returns its name (media_files.store_new_file)."""
    return media_files.store_new_file(folder(video_id), data, extension)


def media_type(name: str, content_type: str | None = None) -> str:
    """The Content-Type a stored file is served with."""
    return content_type or images.MEDIA_TYPES[name.rsplit(".", 1)[1]]
