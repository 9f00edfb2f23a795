"""Demo reviews: a few customers (accounts without a password) and their approved reviews of the
demo shops' products, with photos (`data/demo/review-photos/`, drawn with Pillow for the demo)
uploaded through the same path as a customer's upload (services.catalog.review_media: Pillow
verifies and re-encodes them, metadata stripped) and approved by the demo admin.
"""

from __future__ import annotations

from pathlib import Path

from models.catalog import Product
from models.users import User
from services import catalog, customers


def seed_reviews(admin: User, reviewers: list[dict], reviews: list[dict], photos_dir: Path) -> int:
    """Create `reviewers` (`{"email", "firstName", "lastName"}`) and `reviews` (`{"product": handle,
    "by": email, "rating", "title", "body", "photos": [file names in photos_dir]}`); returns the
    number of reviews written. Call inside the demo's transaction."""
    users = {}
    for spec in reviewers:
        view = customers.create_customer(admin, {"email": spec["email"], "first_name": spec["firstName"],
                                                 "last_name": spec["lastName"]})
        users[spec["email"]] = User.get_by_id(view["id"])
    for spec in reviews:
        user = users[spec["by"]]
        product = Product.get(Product.handle == spec["product"])
        review = catalog.create_review(user, product.id, spec["rating"], spec["title"], spec["body"])
        for name in spec.get("photos", []):
            catalog.add_media(user, review.id, (photos_dir / name).read_bytes())
        catalog.approve_review(admin, review.id)
    return len(reviews)
