"""Shoppable videos (seed 002 "Video Routes"; services.content):

- `GET /api/v1/videos?page&limit&category&tag&featured&productId&published&sort`: published
  videos (plus, for creators, their own unpublished ones; admins: all), newest first or
  `sort=popular`;
- `GET /api/v1/videos/categories`: the categories (VIDEO_CATEGORIES) with published video counts;
- `POST /api/v1/videos` (multipart/form-data; `videos:create`): fields title, description,
  category, tags (repeated), productIds (repeated), externalUrl, duration, isPublished,
  isFeatured, and parts `file` (MP4/MOV/WebM, VIDEO_MAX_BYTES) and `thumbnail` (an image);
- `GET|PUT|DELETE /api/v1/videos/{videoId}`: the video with its products' current prices and
  stock; PUT (JSON) and DELETE for its creator or an admin;
- `GET /api/v1/videos/{videoId}/file`, `/thumbnail`: the uploaded files (byte ranges served);
- `POST /api/v1/videos/{videoId}/like` (toggle, or `{"liked": bool}`), `/share`, `/view`;
- `GET|POST /api/v1/videos/{videoId}/comments`, `POST .../comments/{commentId}/approve|reject`
  (`videos:moderate`).
"""

from __future__ import annotations

import marshmallow as ma
from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from marshmallow import validate

import config
from models.videos import COMMENT_STATUSES
from services import content
from services.errors import NotFound
from web.schemas import (CamelSchema, MessageSchema, PaginationArgsSchema, PaginationSchema, PersonSchema, QueryBoolean,
                         StrictBoolean, StrictInteger, ok, pagination)
from web.security import BEARER_SECURITY, OPTIONAL_BEARER_SECURITY, checked, current_user, require_role, require_user
from web.uploads import media_response, multipart_form

blp = Blueprint("videos", __name__, url_prefix="/api/v1/videos", description="Shoppable videos")

FORM_MARGIN = 64 * 1024  # bytes of multipart framing and text fields allowed above the largest file
THUMBNAIL_MAX_BYTES = 10 * 1024 * 1024
PUBLIC_MEDIA_CACHE = "public, max-age=300"
TAG = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$", error="letters, digits, _ and -, at most 40")
CATEGORY = validate.Regexp(r"^[a-z][a-z0-9_]{0,39}$", error="a category id (GET /videos/categories)")
PRODUCT_ID = validate.Regexp(r"^prod_[A-Za-z0-9]{1,36}$", error="a product id, prod_...")
HTTPS_URL = [validate.Length(max=2048), validate.URL(schemes={"https"}, require_tld=False)]
TITLE = [validate.Length(min=1, max=200), validate.Regexp(r"\S", error="not blank")]
DURATION = dict(validate=validate.Range(min=0, max=86_400), metadata={"description": "seconds"})


def _creator():
    return require_role("staff", "admin")


class VideoFieldsSchema(CamelSchema):
    title = ma.fields.String(validate=TITLE)
    description = ma.fields.String(validate=validate.Length(max=5000),
                                   metadata={"description": "HTML, sanitised (p, br, strong, em, lists, links)"})
    category = ma.fields.String(validate=CATEGORY)
    tags = ma.fields.List(ma.fields.String(validate=TAG), validate=validate.Length(max=20),
                          metadata={"description": "stored lower-case"})
    product_ids = ma.fields.List(ma.fields.String(validate=PRODUCT_ID), validate=validate.Length(max=50),
                                 metadata={"description": "the products shown, in this order"})
    is_published = StrictBoolean()
    is_featured = StrictBoolean()


class VideoUpdateSchema(VideoFieldsSchema):
    external_url = ma.fields.String(validate=HTTPS_URL, metadata={"description": "external videos only"})
    duration = StrictInteger(**dict(DURATION, metadata={"description": "seconds; external videos only"}))


class VideoFormSchema(VideoFieldsSchema):
    """multipart/form-data text fields of a new video (booleans as `true`/`false`)."""

    title = ma.fields.String(required=True, validate=TITLE)
    category = ma.fields.String(required=True, validate=CATEGORY)
    external_url = ma.fields.String(validate=HTTPS_URL,
                                    metadata={"description": "https URL of a hosted video (instead of `file`)"})
    duration = ma.fields.Integer(**dict(DURATION, metadata={
        "description": "seconds; an MP4/MOV file's own duration wins (422 when it differs by more than 1 s)"}))
    is_published = ma.fields.Boolean(truthy={"true"}, falsy={"false"})
    is_featured = ma.fields.Boolean(truthy={"true"}, falsy={"false"})


class VideoUploadDocSchema(VideoFormSchema):
    """The multipart body as documented: the text fields and the two file parts."""

    file = Upload(metadata={"description": "MP4, MOV or WebM (by its bytes), at most VIDEO_MAX_BYTES"})
    thumbnail = Upload(metadata={"description": "JPEG, PNG, WebP or GIF; re-encoded, at most 1280 px a side"})


class EngagementSchema(ma.Schema):
    views = ma.fields.Integer()
    likes = ma.fields.Integer()
    shares = ma.fields.Integer()
    comments = ma.fields.Integer(metadata={"description": "approved comments"})


class VideoVariantSchema(ma.Schema):
    id = ma.fields.String()
    name = ma.fields.String()
    price = ma.fields.Integer(metadata={"description": "minor units"})
    compareAtPrice = ma.fields.Integer(allow_none=True)
    inventoryCount = ma.fields.Integer()
    available = ma.fields.Boolean()


class VideoProductSchema(ma.Schema):
    id = ma.fields.String()
    name = ma.fields.String()
    slug = ma.fields.String()
    currency = ma.fields.String()
    price = ma.fields.Integer(metadata={"description": "minor units: the cheapest variant's"})
    compareAtPrice = ma.fields.Integer(allow_none=True)
    image = ma.fields.String(allow_none=True)
    inventoryCount = ma.fields.Integer(metadata={"description": "sellable units over the variants"})
    available = ma.fields.Boolean()
    variants = ma.fields.List(ma.fields.Nested(VideoVariantSchema))


class VideoSchema(ma.Schema):
    id = ma.fields.String()
    title = ma.fields.String()
    description = ma.fields.String()
    creator = ma.fields.Nested(PersonSchema, allow_none=True)
    videoUrl = ma.fields.String()
    source = ma.fields.String(metadata={"description": "upload | external"})
    contentType = ma.fields.String(allow_none=True)
    fileSize = ma.fields.Integer(allow_none=True, metadata={"description": "bytes"})
    thumbnail = ma.fields.String(allow_none=True)
    category = ma.fields.String()
    categoryName = ma.fields.String()
    tags = ma.fields.List(ma.fields.String())
    productIds = ma.fields.List(ma.fields.String())
    products = ma.fields.List(ma.fields.Nested(VideoProductSchema), metadata={"description": "detail only"})
    duration = ma.fields.Integer(allow_none=True, metadata={"description": "seconds"})
    isPublished = ma.fields.Boolean()
    isFeatured = ma.fields.Boolean()
    engagement = ma.fields.Nested(EngagementSchema)
    liked = ma.fields.Boolean(metadata={"description": "the caller's like (false for a guest)"})
    createdAt = ma.fields.String()
    updatedAt = ma.fields.String()


class VideoEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(VideoSchema)
    message = ma.fields.String()


class VideoListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(VideoSchema))
    pagination = ma.fields.Nested(PaginationSchema)


class VideoListArgsSchema(PaginationArgsSchema):
    category = ma.fields.String(validate=CATEGORY)
    tag = ma.fields.String(validate=TAG)
    featured = QueryBoolean()
    product_id = ma.fields.String(validate=PRODUCT_ID, metadata={"description": "videos showing this product"})
    published = QueryBoolean(metadata={"description": "creators and admins: false lists unpublished videos"})
    sort = ma.fields.String(load_default="newest", validate=validate.OneOf(content.VIDEO_ORDERS))


class VideoCategorySchema(ma.Schema):
    id = ma.fields.String()
    name = ma.fields.String()
    videoCount = ma.fields.Integer(metadata={"description": "published videos"})


class VideoCategoryListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(VideoCategorySchema))


class LikeBodySchema(CamelSchema):
    liked = StrictBoolean(metadata={"description": "set the like to this; absent: toggle"})


class LikeSchema(ma.Schema):
    liked = ma.fields.Boolean()
    likes = ma.fields.Integer()


class LikeEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(LikeSchema)
    message = ma.fields.String()


class EngagementEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(EngagementSchema)
    message = ma.fields.String()


class CommentSchema(ma.Schema):
    id = ma.fields.String()
    videoId = ma.fields.String()
    author = ma.fields.Nested(PersonSchema)
    body = ma.fields.String(metadata={"description": "sanitised HTML"})
    status = ma.fields.String(metadata={"description": "pending | approved | rejected"})
    createdAt = ma.fields.String()
    moderatedAt = ma.fields.String(allow_none=True)


class CommentEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(CommentSchema)
    message = ma.fields.String()


class CommentListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(CommentSchema))
    pagination = ma.fields.Nested(PaginationSchema)


class CommentArgsSchema(PaginationArgsSchema):
    status = ma.fields.String(validate=validate.OneOf(COMMENT_STATUSES),
                              metadata={"description": "moderators: any; others see approved and their own"})


class CommentInputSchema(CamelSchema):
    body = ma.fields.String(required=True, validate=[validate.Length(min=1, max=2000),
                                                     validate.Regexp(r"\S", error="not blank")])


def _view(video, detail=True) -> dict:
    return content.video_views([video], current_user(), detail=detail)[0]


@blp.before_app_request
def _allow_video_bodies():
    """The upload route takes bodies up to VIDEO_MAX_BYTES plus a thumbnail and the form; it runs
    before the app's request checks read the form."""
    if request.endpoint == "videos.Videos" and request.method == "POST":
        request.max_content_length = config.get().video_max_bytes + THUMBNAIL_MAX_BYTES + FORM_MARGIN


@blp.route("")
class Videos(MethodView):
    @blp.arguments(VideoListArgsSchema, location="query")
    @blp.response(200, VideoListSchema)
    @blp.doc(security=OPTIONAL_BEARER_SECURITY)
    def get(self, args):
        """List videos with filters (category, tag, featured, product), newest or most viewed first."""
        filters = content.VideoFilters(category=args.get("category"), tag=(args.get("tag") or "").lower() or None,
                                       featured=args.get("featured"), product_id=args.get("product_id"),
                                       published=args.get("published"), order=args["sort"])
        user = current_user()
        rows, total = content.list_videos(user, filters, args["page"], args["limit"])
        return ok(content.video_views(rows, user), pagination=pagination(args["page"], args["limit"], total))

    @checked(_creator)
    @blp.response(201, VideoEnvelopeSchema)
    @blp.alt_response(413, description="The file is larger than its limit")
    @blp.alt_response(415, description="The file is no MP4, MOV or WebM video, or the thumbnail no image")
    @blp.doc(security=BEARER_SECURITY, requestBody={
        "required": True, "content": {"multipart/form-data": {"schema": VideoUploadDocSchema}}})
    def post(self):
        """Upload a video (file or external URL) with its thumbnail and products (creators: staff, admins)."""
        user = _creator()
        data, parts = multipart_form(VideoFormSchema(), {"file": config.get().video_max_bytes,
                                                         "thumbnail": THUMBNAIL_MAX_BYTES},
                                     list_fields=("tags", "productIds"))
        video = content.create_video(user, data, parts["file"], parts["thumbnail"])
        return ok(_view(video), 201, message="Video created")


@blp.route("/categories")
class VideoCategories(MethodView):
    @blp.response(200, VideoCategoryListSchema)
    def get(self):
        """List the video categories with their published video counts."""
        return ok(content.list_categories())


@blp.route("/<id(vid):video_id>")
class VideoById(MethodView):
    @blp.response(200, VideoEnvelopeSchema)
    @blp.doc(security=OPTIONAL_BEARER_SECURITY)
    def get(self, video_id):
        """Get a video with its products' current prices and stock (a view is counted by POST .../view)."""
        return ok(_view(content.get_video(video_id, current_user())))

    @checked(_creator)
    @blp.arguments(VideoUpdateSchema)
    @blp.response(200, VideoEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def put(self, body, video_id):
        """Change a video's fields; productIds replaces its products (its creator or an admin)."""
        return ok(_view(content.update_video(_creator(), video_id, body)), message="Video updated")

    @checked(_creator)
    @blp.response(200, MessageSchema)
    @blp.doc(security=BEARER_SECURITY)
    def delete(self, video_id):
        """Delete a video with its likes, comments and files (its creator or an admin)."""
        content.delete_video(_creator(), video_id)
        return {"message": "Video deleted"}


def _file_response(video, name, media_type):
    path = content.video_folder(video.id) / name if name else None
    if path is None or not path.is_file():
        raise NotFound("No such file for this video", reason="video_not_found")
    return media_response(path, media_type, PUBLIC_MEDIA_CACHE if video.is_published else "private, no-store")


FILE_TYPES = ("video/mp4", "video/quicktime", "video/webm")


@blp.route("/<id(vid):video_id>/file")
class VideoFile(MethodView):
    @blp.doc(security=OPTIONAL_BEARER_SECURITY, responses={"200": {"description": "The video file", "content": {
        media: {"schema": {"type": "string", "format": "binary"}} for media in FILE_TYPES}}})
    @blp.response(200, description="The video file", content_type="video/mp4")
    def get(self, video_id):
        """Get an uploaded video's file (byte ranges supported)."""
        video = content.get_video(video_id, current_user())
        return _file_response(video, video.video_file, video.content_type)


@blp.route("/<id(vid):video_id>/thumbnail")
class VideoThumbnail(MethodView):
    @blp.doc(security=OPTIONAL_BEARER_SECURITY, responses={"200": {"description": "The thumbnail", "content": {
        media: {"schema": {"type": "string", "format": "binary"}} for media in ("image/webp", "image/png")}}})
    @blp.response(200, description="The thumbnail", content_type="image/webp")
    def get(self, video_id):
        """Get a video's thumbnail image."""
        video = content.get_video(video_id, current_user())
        return _file_response(video, video.thumbnail, content.video_media_type(video.thumbnail or "x.webp"))


@blp.route("/<id(vid):video_id>/like")
class VideoLike(MethodView):
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_user)
    @blp.arguments(LikeBodySchema, required=False)
    @blp.response(200, LikeEnvelopeSchema)
    def post(self, body, video_id):
        """Like or unlike a video (toggle; `liked` sets it): one like per user."""
        result = content.set_like(require_user(), video_id, (body or {}).get("liked"))
        return ok(result, message="Video liked" if result["liked"] else "Video unliked")


@blp.route("/<id(vid):video_id>/share")
class VideoShare(MethodView):
    @blp.response(200, EngagementEnvelopeSchema)
    @blp.doc(security=OPTIONAL_BEARER_SECURITY)
    def post(self, video_id):
        """Record a share of a video."""
        return ok(content.record_video_event(video_id, current_user(), "shares"), message="Share recorded")


@blp.route("/<id(vid):video_id>/view")
class VideoView(MethodView):
    @blp.response(200, EngagementEnvelopeSchema)
    @blp.doc(security=OPTIONAL_BEARER_SECURITY)
    def post(self, video_id):
        """Record a view of a video (the player calls this when playback starts)."""
        return ok(content.record_video_event(video_id, current_user(), "views"), message="View recorded")


@blp.route("/<id(vid):video_id>/comments")
class VideoComments(MethodView):
    @blp.arguments(CommentArgsSchema, location="query")
    @blp.response(200, CommentListSchema)
    @blp.doc(security=OPTIONAL_BEARER_SECURITY)
    def get(self, args, video_id):
        """List a video's approved comments (and my own; moderators: any status), oldest first."""
        rows, total = content.list_comments(video_id, current_user(), args.get("status"), args["page"], args["limit"])
        return ok([content.comment_view(c) for c in rows], pagination=pagination(args["page"], args["limit"], total))

    @blp.doc(security=BEARER_SECURITY)
    @checked(require_user)
    @blp.arguments(CommentInputSchema)
    @blp.response(201, CommentEnvelopeSchema)
    def post(self, body, video_id):
        """Comment on a video (pending moderation unless I am staff)."""
        comment = content.add_comment(video_id, require_user(), body["body"])
        return ok(content.comment_view(comment), 201,
                  message="Comment published" if comment.status == "approved" else "Comment awaiting moderation")


def _moderator():
    return require_role("staff", "admin")


@blp.route("/<id(vid):video_id>/comments/<id(vcm):comment_id>/approve")
class VideoCommentApprove(MethodView):
    @checked(_moderator)
    @blp.response(200, CommentEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def post(self, video_id, comment_id):
        """Approve a comment (staff)."""
        comment = content.moderate_comment(video_id, comment_id, _moderator(), "approved")
        return ok(content.comment_view(comment), message="Comment approved")


@blp.route("/<id(vid):video_id>/comments/<id(vcm):comment_id>/reject")
class VideoCommentReject(MethodView):
    @checked(_moderator)
    @blp.response(200, CommentEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def post(self, video_id, comment_id):
        """Reject a comment (staff)."""
        comment = content.moderate_comment(video_id, comment_id, _moderator(), "rejected")
        return ok(content.comment_view(comment), message="Comment rejected")
