"""Review titles and bodies are cleaned on write: a body keeps a small safe HTML subset, a title no
tag at all; scripts, styles, event handlers and javascript: URLs never reach the database."""

import pytest

from models.reviews import Review
from services.platform import html
from tests.factories import make_product, make_user, token_for
from tests.factories.catalog import approve_review

ATTACKS = [
    '<script>alert(1)</script>',
    '<style>body{display:none}</style>',
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<p onclick="alert(1)">x</p>',
    '<svg onload="alert(1)"></svg>',
    '<iframe src="https://evil.test"></iframe>',
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    '<div style="background:url(javascript:alert(1))">x</div>',
]
FORBIDDEN = ("<script", "alert(1)</", "onerror", "onclick", "onload", "javascript:", "<style", "<iframe", "<img",
             "<svg", "style=", "data:", "display:none")


@pytest.fixture()
def product(db):
    return make_product(name="Brie de Meaux")


def post_review(api, product, token, **fields):
    status, body, _ = api.post(f"/api/v1/products/{product.id}/reviews", {"rating": 4, **fields}, token=token)
    assert status == 201, body
    return body["data"]


def test_a_review_body_keeps_the_safe_subset(api, product):
    body = ('<p>Creamy <strong>and</strong> <em>ripe</em>.<br>Pairs with:</p><ul><li>pears</li></ul>'
            '<ol><li>honey</li></ol><a href="https://example.com/brie">recipe</a> '
            '<a href="mailto:shop@example.com">ask</a>')
    review = post_review(api, product, token_for(make_user()), body=body)
    assert review["body"] == (
        '<p>Creamy <strong>and</strong> <em>ripe</em>.<br>Pairs with:</p><ul><li>pears</li></ul>'
        '<ol><li>honey</li></ol><a href="https://example.com/brie" rel="nofollow noopener">recipe</a> '
        '<a href="mailto:shop@example.com" rel="nofollow noopener">ask</a>')
    assert Review.get_by_id(review["id"]).body == review["body"]


@pytest.mark.parametrize("attack", ATTACKS)
def test_a_review_body_loses_scripts_handlers_and_bad_urls(api, product, attack):
    review = post_review(api, product, token_for(make_user()), body=f"Good cheese. {attack}", title=attack + "Tasty")
    stored = Review.get_by_id(review["id"])
    for text in (review["body"], review["title"], stored.body, stored.title):
        assert not any(bad in text.lower() for bad in FORBIDDEN), text
    assert stored.body.startswith("Good cheese.") and stored.title.endswith("Tasty")


def test_a_review_title_keeps_no_tag_at_all(api, product):
    review = post_review(api, product, token_for(make_user()),
                         title='<strong>Best</strong> <a href="https://example.com">brie</a> & more')
    assert review["title"] == "Best brie &amp; more"
    assert Review.get_by_id(review["id"]).title == "Best brie &amp; more"


def test_links_other_than_http_https_mailto_lose_their_href(api, product):
    body = '<a href="ftp://example.com/x">a</a><a href="/api/v1/admin">b</a><a href="//evil.test">c</a>'
    review = post_review(api, product, token_for(make_user()), body=body)
    assert review["body"] == '<a rel="nofollow noopener">a</a><a rel="nofollow noopener">b</a>' \
                             '<a rel="nofollow noopener">c</a>'


def test_an_update_is_cleaned_too_and_cleaning_twice_changes_nothing(api, product):
    token = token_for(make_user())
    review = post_review(api, product, token, title="Fine", body="<p>Fine</p>")
    status, body, _ = api.put(f"/api/v1/reviews/{review['id']}",
                              {"title": "<em>Great</em><script>x()</script>",
                               "body": '<p onmouseover="x()">Great</p><script>steal()</script>'
                                       '<a href="javascript:steal()">more</a>'}, token=token)
    assert status == 200, body
    assert body["data"]["title"] == "Great"
    assert body["data"]["body"] == '<p>Great</p><a rel="nofollow noopener">more</a>'
    stored = Review.get_by_id(review["id"])
    assert (stored.title, stored.body) == ("Great", '<p>Great</p><a rel="nofollow noopener">more</a>')
    # A client sending back what it read stores the same thing again.
    status, again, _ = api.put(f"/api/v1/reviews/{review['id']}", {"title": stored.title, "body": stored.body},
                               token=token)
    assert (again["data"]["title"], again["data"]["body"]) == (stored.title, stored.body)
    approve_review(review["id"])  # edited text waits for moderation again
    listed = api.get(f"/api/v1/products/{product.id}/reviews")[1]["data"][0]
    assert listed["body"] == stored.body


def test_the_length_limit_applies_to_what_is_stored(api, product):
    status, body, _ = api.post(f"/api/v1/products/{product.id}/reviews", {"rating": 5, "title": "&" * 100},
                               token=token_for(make_user()))  # 100 characters, 500 once escaped
    assert status == 422 and body["error"]["reason"] == "invalid_title"


def test_the_helpers_are_there_for_other_features():
    assert html.sanitize_html("") == "" and html.plain_text("") == ""
    assert html.sanitize_html("<p>Hi <b>you</b></p>") == "<p>Hi you</p>"
    assert html.plain_text("  <p>Hi <b>you</b></p>\n") == "Hi you"
