"""Reviews, wishlists (items, bulk outcomes, share links) and the recommendation serving tables."""

from models.recommendations import PopularProduct, RecommendationRun, RelatedProduct, UserRecommendation
from models.reviews import Review
from models.wishlists import WishlistBulkItem, WishlistItem, WishlistShare

MODELS = [Review, WishlistItem, WishlistBulkItem, WishlistShare,
          RecommendationRun, RelatedProduct, UserRecommendation, PopularProduct]


def migrate(database, migrator):
    database.create_tables(MODELS, safe=True)
