"""`POST /api/v1/admin/cache/purge` (admin, permission `cache:admin`): drop catalog cache entries
(services.platform.catalog_ttl) at once, rather than waiting for a write or the TTL.

Body (optional): `{"pattern": glob}` over entry names - `products:*` (every cached list and
product answer), `products:/api/v1/products/prod_1*` (one product by id; a handle is its own
entry), `totals:*` (list totals). Without a pattern every entry goes and the cache starts a new
generation. Answer `{"data": {"purged": live entries deleted, "removedOldGeneration": dead
entries of older generations deleted along the way, "pattern", "generation": the generation
now, "backend": "redis" | "memory", "shared": true when every process's entries were reached
(Redis; in-process only this process's), "available": false when Redis is unreachable}}`.
The counts are exact: entries are deleted one by one, not merely orphaned by the generation.

With Redis unreachable the answer is still 200 with `available: false` and zeros: nothing can
be deleted, reads go to the database meanwhile, and the generation is bumped as soon as Redis
answers again. The purge is audit-logged like every admin write (web.audit_trail).
"""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from services.platform import catalog_ttl
from web.schemas import CamelSchema, ok
from web.security import BEARER_SECURITY, checked, require_admin

blp = Blueprint("cache_admin", __name__, url_prefix="/api/v1/admin/cache", description="Catalog cache (admin)")


class CachePurgeSchema(CamelSchema):
    pattern = ma.fields.String(validate=validate.Length(min=1, max=500),
                               metadata={"description": "glob over entry names (`*`, `?`, `[...]`), e.g. "
                                                        "`products:*`; omit it to purge everything"})


class CachePurgeResultSchema(CamelSchema):
    purged = ma.fields.Integer(metadata={"description": "entries of the current generation deleted"})
    removed_old_generation = ma.fields.Integer(metadata={"description": "dead entries of older generations deleted"})
    pattern = ma.fields.String(allow_none=True)
    generation = ma.fields.Integer(allow_none=True, metadata={"description": "the cache generation now"})
    backend = ma.fields.String(validate=validate.OneOf(("redis", "memory")))
    shared = ma.fields.Boolean(metadata={"description": "every process's entries (Redis), or only this one's"})
    available = ma.fields.Boolean(metadata={"description": "false: Redis unreachable, nothing deleted"})


class CachePurgeEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(CachePurgeResultSchema)


@blp.route("/purge")
class CachePurge(MethodView):
    @blp.response(200, CachePurgeEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_admin)
    @blp.arguments(CachePurgeSchema, required=False)  # no body: purge everything
    def post(self, args):
        """Purge the catalog cache, all of it or the entries matching a glob (admin)."""
        return ok(catalog_ttl.purge((args or {}).get("pattern")))
