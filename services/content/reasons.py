"""Content's stable error reasons, reason -> meaning."""

REASONS = {
    # shoppable videos (services.content.videos, video_writes, video_uploads, video_engagement, video_comments)
    "video_not_found": "No such video, or it is not published and the caller may not edit it",
    "video_not_editable": "Only the video's creator or an admin (`videos:manage`) may change or delete it",
    "video_category_unknown": "The category is not one of VIDEO_CATEGORIES (GET /videos/categories)",
    "video_source_required": "A video needs an uploaded file (`file`) or an https `externalUrl`",
    "video_source_conflict": "A video is an uploaded file or an external URL, not both",
    "video_url_not_https": "An external video URL must be an absolute https URL",
    "video_file_too_large": "The video file is larger than VIDEO_MAX_BYTES",
    "video_file_unsupported": "The file is not an MP4, MOV or WebM video (checked by its magic bytes)",
    "video_duration_mismatch": "The declared duration differs from the container's by more than a second",
    "video_thumbnail_dimensions_too_large": "The thumbnail is wider or taller than the allowed pixels",
    "video_product_not_found": "A linked product does not exist",
    "video_comment_not_found": "No such comment on this video, or it is not approved and not the caller's",
    "invalid_source_video": "sourceVideoId names no published video showing this product",
}
