"""Stripe webhook: verify the signature on the raw body, store the event once, enqueue its job."""

from __future__ import annotations

import marshmallow as ma
from flask import jsonify, request
from flask.views import MethodView
from flask_smorest import Blueprint

from services import payments
from web.jobview import dispatch

blp = Blueprint("webhooks", __name__, url_prefix="/api/v1/webhooks", description="Provider webhooks")


class WebhookAckSchema(ma.Schema):
    received = ma.fields.Boolean()
    duplicate = ma.fields.Boolean()
    ignored = ma.fields.Boolean()
    jobId = ma.fields.String()


@blp.route("/stripe")
class StripeWebhook(MethodView):
    @blp.response(200, WebhookAckSchema)
    @blp.doc(parameters=[{"in": "header", "name": "Stripe-Signature", "required": True,
                          "schema": {"type": "string"}}],
             requestBody={"required": True, "content": {"application/json": {"schema": {"type": "object"}}}})
    def post(self):
        """Receive a Stripe event (signed); duplicates and unhandled types are acknowledged and ignored."""
        event = payments.verify_webhook(request.get_data(cache=False),
                                              request.headers.get("Stripe-Signature"))
        job = payments.record_stripe_event(event)
        if job is None:
            handled = event.get("type") in payments.HANDLED_EVENTS
            return jsonify({"received": True, "duplicate": handled, "ignored": not handled})
        dispatch(job)
        return jsonify({"received": True, "jobId": job.id})
