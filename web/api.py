"""The flask-smorest `Api`, documenting the error envelope as the default error."""

from flask_smorest import Api as SmorestApi

from web.schemas import ErrorEnvelopeSchema


class Api(SmorestApi):
    """flask-smorest Api whose documented error payload is Cartwheel's envelope."""

    ERROR_SCHEMA = ErrorEnvelopeSchema
