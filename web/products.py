"""Catalog (placeholder until the catalog module lands)."""
from flask_smorest import Blueprint

blp = Blueprint("products", __name__, url_prefix="/api/v1/products", description="Catalog")
