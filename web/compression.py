"""Response compression: brotli or gzip for JSON answers, chosen by `Accept-Encoding`
(flask-compress).

- What: `application/json` answers with a 2xx status and a body of at least `MIN_SIZE` bytes
  (smaller ones gain nothing worth the CPU). Error envelopes, 304s, HTML (the Swagger UI page),
  images and everything else pass untouched.
- How: `br` (brotli quality `BROTLI_LEVEL`) or `gzip` (level `GZIP_LEVEL`), whichever the client
  prefers by q-value, brotli on a tie; `identity`/none asked: no compression. `Content-Encoding`
  and `Content-Length` describe the compressed body; every answer says `Vary: Accept-Encoding`.
- Never streams: `COMPRESS_STREAMS` is off, so a streamed body - the SSE event streams
  (web.sse, `text/event-stream`) above all - is neither compressed nor buffered; its events
  leave as they are written.
- ETags: flask-compress rewrites a strong `ETag` to `"<tag>:br"` / `"<tag>:gzip"` for the
  compressed body (a weak one is kept as it is), and evaluates `If-None-Match` against that
  tag after compressing (`COMPRESS_EVALUATE_CONDITIONAL_REQUEST`), so a client revalidating
  the compressed representation gets its 304. web.cache answers the 304 before compressing
  when it can (it accepts the suffixed tags too).

`install(app)` registers the after-request hook; call it early in `create_app` (hooks run in
reverse order of registration), so the audit trail and the other hooks see the JSON body.
"""

from __future__ import annotations

from flask import Flask
from flask_compress import Compress

MIMETYPES = ("application/json",)
MIN_SIZE = 1024  # bytes: smaller JSON bodies are sent as they are
ALGORITHMS = ("br", "gzip")  # preference order on equal q-values
BROTLI_LEVEL = 4  # flask-compress's default: close to gzip's speed, smaller output
GZIP_LEVEL = 6


def install(app: Flask) -> Compress:
    """Compress `app`'s JSON answers as described above; returns the extension."""
    app.config.update(
        COMPRESS_MIMETYPES=list(MIMETYPES),
        COMPRESS_MIN_SIZE=MIN_SIZE,
        COMPRESS_ALGORITHM=list(ALGORITHMS),
        COMPRESS_BR_LEVEL=BROTLI_LEVEL,
        COMPRESS_LEVEL=GZIP_LEVEL,
        COMPRESS_STREAMS=False,
        COMPRESS_EVALUATE_CONDITIONAL_REQUEST=True,
        COMPRESS_REGISTER=True,
    )
    return Compress(app)
