"""Imports (placeholder until the import module lands)."""
from flask_smorest import Blueprint

blp = Blueprint("imports", __name__, url_prefix="/api/v1/admin/imports", description="Catalog imports")
