"""SEO (issue 9): `slugredirect` (old product handles and category slugs -> their row) and
`sitemapdocument` (the sitemap files the build job writes)."""

from models.seo import SitemapDocument, SlugRedirect


def migrate(database, migrator):
    database.create_tables([SlugRedirect, SitemapDocument], safe=True)
