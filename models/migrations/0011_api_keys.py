"""API keys for integrations (issue 8): creates `api_key` and `api_request_nonce`."""

from models.users import ApiKey, ApiRequestNonce


def migrate(database, migrator):
    database.create_tables([ApiKey, ApiRequestNonce], safe=True)
