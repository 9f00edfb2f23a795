"""Catalog imports (admin): upload a Shopify product CSV; a `bulk` job writes it and reports per row."""

from __future__ import annotations

import hashlib

import marshmallow as ma
from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from marshmallow import validate

from services import catalog
from services.errors import ValidationFailed
from services.platform import jobs
from web.jobview import submit
from web.schemas import CamelSchema, JobEnvelopeSchema
from web.security import BEARER_SECURITY, require_admin

blp = Blueprint("imports", __name__, url_prefix="/api/v1/admin/imports", description="Catalog imports (admin)")

FORM_FIELDS = {"storeId"}


class ProductImportFormSchema(CamelSchema):
    """multipart/form-data: the CSV as `file`, and optionally the store its products belong to."""

    file = Upload(required=True, metadata={"description": "Shopify product CSV (UTF-8, at most 5 MB)"})
    store_id = ma.fields.String(validate=validate.Length(max=40))


def _uploaded_csv() -> tuple[bytes, str]:
    """The raw bytes and file name of the `file` part. Raises ValidationFailed (422)."""
    unknown = sorted(set(request.form) - FORM_FIELDS) + sorted(set(request.files) - {"file"})
    if unknown:
        raise ValidationFailed(f"Unknown form fields: {', '.join(unknown)}", reason="unknown_fields",
                               details=[{"field": name, "message": "Unknown field"} for name in unknown])
    upload = request.files.get("file")
    if upload is None:
        raise ValidationFailed("Send the CSV as multipart/form-data field 'file'", reason="missing_file",
                               details=[{"field": "file", "message": "Missing file"}])
    return upload.stream.read(catalog.MAX_UPLOAD_BYTES + 1), (upload.filename or "products.csv")[:255]


@blp.route("/products")
class ProductImports(MethodView):
    @blp.response(202, JobEnvelopeSchema, description="Import job accepted (poll Location)")
    @blp.alt_response(200, schema=JobEnvelopeSchema, description="With `Prefer: wait=N`: the job ended in time")
    @blp.doc(security=BEARER_SECURITY, requestBody={
        "required": True, "content": {"multipart/form-data": {"schema": ProductImportFormSchema}}})
    def post(self):
        """Import a Shopify product CSV as a background job (admin)."""
        admin = require_admin()
        raw, filename = _uploaded_csv()
        text = catalog.decode_upload(raw)
        store_id = request.form.get("storeId") or None
        catalog.check_store(store_id)
        payload = catalog.import_payload(text, filename, store_id)
        total = catalog.count_handles(text)
        # A multipart upload is fingerprinted by its content, so one Idempotency-Key
        # cannot import two different files.
        return submit(lambda: jobs.create_job("product_import", payload, owner_id=admin.id, total=total),
                      body={"sha256": hashlib.sha256(raw).hexdigest(), "storeId": store_id})
