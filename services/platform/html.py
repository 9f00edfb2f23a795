"""User-written HTML, cleaned on write with nh3 (the Rust `ammonia` sanitiser).

- `sanitize_html(text)`: rich text (review bodies; later recipes and comments) keeps a small
  safe subset: `p`, `br`, `strong`, `em`, `ul`, `ol`, `li` and `a` with an `href` whose
  scheme is http, https or mailto (relative and other URLs are removed, the link text kept;
  every link gets `rel="nofollow noopener"`). Every other
  tag is dropped with its attributes, keeping its text, except `script` and `style`, which go
  with their content; event handlers (`on*`), `style` attributes, comments and `javascript:`
  (or any other scheme's) URLs never survive.
- `plain_text(text)`: a one-line field (a review title) keeps no tag at all, only the text.

Both take and return `str` and never raise. What they return is HTML text, stored as is and
safe for a client to render as HTML: `<`, `>` and `&` typed as text come back as `&lt;`,
`&gt;` and `&amp;` (so a title shown as plain text must be unescaped first). Cleaning is
idempotent: cleaning a cleaned value (a client sending back what it read) changes nothing.
"""

from __future__ import annotations

import nh3

ALLOWED_TAGS = frozenset({"p", "br", "strong", "em", "ul", "ol", "li", "a"})
ALLOWED_ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener"
DROPPED_WITH_CONTENT = frozenset({"script", "style"})


_RICH = nh3.Cleaner(tags=set(ALLOWED_TAGS), attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
                    url_schemes=set(URL_SCHEMES), url_relative="deny", link_rel=LINK_REL, strip_comments=True,
                    clean_content_tags=set(DROPPED_WITH_CONTENT))
_PLAIN = nh3.Cleaner(tags=set(), attributes={}, strip_comments=True, clean_content_tags=set(DROPPED_WITH_CONTENT))


def sanitize_html(text: str) -> str:
    """`text` with only the safe subset of HTML kept (see the module docstring); "" for ""."""
    return _RICH.clean(text) if text else ""


def plain_text(text: str) -> str:
    """`text` with every tag removed (script and style with their content), HTML-escaped, without
    leading or trailing whitespace; "" for ""."""
    return _PLAIN.clean(text).strip() if text else ""
