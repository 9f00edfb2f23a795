"""Structured logs: structlog over the standard `logging`, one line per event.

`configure(process, json)` puts one handler on the root logger whose formatter is
structlog's `ProcessorFormatter`, so every `logging.getLogger(...)` call in the code and
in libraries (dramatiq, gunicorn's error log once adopted, flask-limiter) comes out the
same way as structlog's own loggers. Each line carries:

- `timestamp` (ISO 8601, UTC, milliseconds: `2025-06-01T10:00:00.123Z`), `level`,
  `logger`, `event` (the message), `process` (api, worker, scheduler, embedded) and `pid`;
- the context bound to the running thread (`bind`, `bound`; structlog contextvars):
  `request_id` during a request, `job_id`, `job_type`, `attempt` during a job;
- the record's `extra` fields (`log.info("http_request", extra={"route": ...})`);
- `exception`: the traceback, when one is logged.

One line per request (`http_request`: method, route, status, duration_ms, user_id, from
web.metrics) and per job attempt (`job_attempt`: job_id, job_type, attempt, outcome,
duration_ms, from workers.runner). Security events are records of the `cartwheel.security`
logger (`security_event(name, **fields)`, or any record there with a `security_event`
extra, as services.customers.login_backoff writes `login_failed` / `login_backoff`): they
get `category: "security"` and `security: true`, and their `event` is the event's name (the
text goes to `message`).

No secrets: values under keys named like password, token, secret, authorization, api key,
OTP, recovery codes (the audit log's list, services.platform.audit), cookie, credential or
private key (at any depth) become `[REDACTED]`, and in every string
`Bearer <credential>`, JWTs and `password=...`-style pairs are masked.

`json=True` renders one JSON object per line (the production shape: gunicorn, dramatiq,
scheduler); `json=False` a console line in the layout dramatiq uses,
`2025-06-01T10:00:00.123Z [PID 4242] [info] logger: event key=value ...` (`make run`).
`json_default(env)` picks it: `LOG_FORMAT` (`json` | `console`) when set, else JSON when
`CARTWHEEL_ENV` (or `env`) is `production`. `LOG_LEVEL` (default INFO) sets the root level
(a level set earlier, e.g. dramatiq's `--verbose`, is kept when `LOG_LEVEL` is unset).
Raises config.ConfigError (one line naming the variable) for another LOG_FORMAT or LOG_LEVEL.
"""

from __future__ import annotations

import datetime as dt
import json as jsonlib
import logging
import os
import re
import sys
import threading
from contextlib import contextmanager
from typing import Any, Iterator

import structlog

import config
from services.platform import audit

SECURITY_LOGGER = "cartwheel.security"
REDACTED = "[REDACTED]"
LEADING_KEYS = ("timestamp", "level", "logger", "event")
# The audit log's secret names (password, token, secret, authorization, api key, OTP, recovery codes) and more.
SECRET_KEY_PATTERN = re.compile(audit.SECRET_KEY_PATTERN.pattern + r"|cookie|credential|private[-_]?key", re.I)
_SECRET_IN_TEXT = (
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), r"\1 " + REDACTED),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"), REDACTED),
    (re.compile(r"(?i)\b([\w-]*(?:password|passwd|token|secret|api[-_]?key)[\w-]*)(\"?'?\s*[:=]\s*\"?'?)"
                r"([^\s\"'&,;]+)"), r"\1\2" + REDACTED),
)
# LogRecord attributes (and what formatters add to a record): never copied as fields.
_RECORD_KEYS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}

_lock = threading.Lock()
_state: dict[str, Any] = {"process": None, "handler": None}


# --------------------------------------------------------------------------- processors


def _extra_fields(logger, method: str, event: dict) -> dict:
    """The stdlib record's `extra` fields (attributes a plain LogRecord has not)."""
    record = event.get("_record")
    if record is not None and not event.get("_from_structlog"):
        for key, value in record.__dict__.items():
            if key not in _RECORD_KEYS and not key.startswith("_") and key not in event:
                event[key] = value
    return event


def _timestamp(logger, method: str, event: dict) -> dict:
    """`timestamp`: when the record was made, ISO 8601 UTC with milliseconds."""
    record = event.get("_record")
    created = record.created if record is not None else dt.datetime.now(dt.timezone.utc).timestamp()
    when = dt.datetime.fromtimestamp(created, dt.timezone.utc)
    event["timestamp"] = when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
    return event


def _process_fields(logger, method: str, event: dict) -> dict:
    record = event.get("_record")
    event.setdefault("process", _state["process"])
    event.setdefault("pid", record.process if record is not None else os.getpid())
    return event


def _security_category(logger, method: str, event: dict) -> dict:
    """Security events: `category: "security"`, `security: true`, `event` = the event's name."""
    name = event.pop("security_event", None)
    if name is None and event.get("logger") != SECURITY_LOGGER:
        return event
    if name is not None and name != event.get("event"):
        event["message"] = event.get("event")
        event["event"] = name
    event["category"] = "security"
    event["security"] = True
    return event


def mask_text(text: str) -> str:
    """`text` with bearer/basic credentials, JWTs and `password=...`-style values masked."""
    for pattern, replacement in _SECRET_IN_TEXT:
        text = pattern.sub(replacement, text)
    return text


def mask_secrets(value: Any, depth: int = 0) -> Any:
    """`value` with secret-named keys' values replaced by REDACTED (dicts and lists, any depth)
    and secrets masked inside strings (`mask_text`)."""
    if depth > 8:
        return value
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {key: REDACTED if isinstance(key, str) and SECRET_KEY_PATTERN.search(key) and val not in (None, "")
                else mask_secrets(val, depth + 1) for key, val in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_secrets(item, depth + 1) for item in value]
    return value


def _mask(logger, method: str, event: dict) -> dict:
    meta = {key: event.pop(key) for key in ("_record", "_from_structlog") if key in event}
    masked = mask_secrets(event)
    masked.update(meta)
    return masked


def _ordered(logger, method: str, event: dict) -> dict:
    """The leading keys first (timestamp, level, logger, event), then the rest as they came."""
    return {**{key: event[key] for key in LEADING_KEYS if key in event},
            **{key: value for key, value in event.items() if key not in LEADING_KEYS}}


def _render_console(logger, method: str, event: dict) -> str:
    """`<timestamp> [PID <pid>] [<level>] <logger>: <event> key=value ...`, then the traceback."""
    event = dict(event)
    head = (f"{event.pop('timestamp', '')} [PID {event.pop('pid', os.getpid())}] [{event.pop('level', '')}] "
            f"{event.pop('logger', '')}: {event.pop('event', '')}")
    exception = event.pop("exception", None)
    event.pop("process", None)
    fields = " ".join(f"{key}={value!r}" if isinstance(value, str) and (" " in value or not value)
                      else f"{key}={value}" for key, value in event.items())
    line = f"{head} {fields}" if fields else head
    return f"{line}\n{exception}" if exception else line


def _render_json(logger, method: str, event: dict) -> str:
    return jsonlib.dumps(event, default=str, ensure_ascii=False, separators=(",", ":"))


# --------------------------------------------------------------------------- set-up


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is at each record (dramatiq points it at its log pipe,
    test runners swap it), unless given a stream."""

    def __init__(self, stream=None):
        super().__init__(stream)
        self._fixed = stream

    @property
    def stream(self):
        return self._fixed if self._fixed is not None else sys.stderr

    @stream.setter
    def stream(self, value):
        self._fixed = value


def json_default(env: str | None = None) -> bool:
    """True for JSON lines: `LOG_FORMAT` when set (json | console), else whether the mode
    (`env`, or `CARTWHEEL_ENV`) is production. Raises config.ConfigError for another LOG_FORMAT."""
    chosen = (os.environ.get("LOG_FORMAT") or "").strip().lower()
    if chosen and chosen not in ("json", "console"):
        raise config.ConfigError(f"LOG_FORMAT must be json or console, got {chosen!r}")
    if chosen:
        return chosen == "json"
    return (env or os.environ.get("CARTWHEEL_ENV") or "embedded") == "production"


def _level() -> int | None:
    raw = (os.environ.get("LOG_LEVEL") or "").strip().upper()
    if not raw:
        return None
    level = logging.getLevelName(raw)
    if not isinstance(level, int):
        raise config.ConfigError(f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, got {raw!r}")
    return level


def formatter(json: bool) -> logging.Formatter:
    """The structlog formatter for stdlib handlers: JSON lines when `json`, else console lines."""
    foreign = [structlog.contextvars.merge_contextvars, structlog.stdlib.add_log_level,
               structlog.stdlib.add_logger_name, _extra_fields]
    final = [_timestamp, _process_fields, _security_category, structlog.processors.format_exc_info, _mask,
             structlog.stdlib.ProcessorFormatter.remove_processors_meta, _ordered,
             _render_json if json else _render_console]
    return structlog.stdlib.ProcessorFormatter(foreign_pre_chain=foreign, processors=final)


QUIET_LIBRARIES = ("enzyme",)
"""Libraries whose INFO lines narrate their parsing (enzyme: each element of a WebM read): warnings only."""


def configure(process: str, json: bool, stream=None) -> None:
    """Route every log record of this process through structlog: `process` names the process
    kind on each line (api, worker, scheduler, embedded), `json` picks JSON or console lines,
    `stream` the output (default: the current `sys.stderr`). Idempotent: a second call
    replaces the handler of the first. Plain stream handlers on the root logger (what
    `logging.basicConfig` installs) are removed so nothing prints twice; other handlers (a
    test's capture, a file handler) stay. Raises config.ConfigError for a bad LOG_LEVEL."""
    level = _level()
    with _lock:
        structlog.configure(
            processors=[structlog.stdlib.filter_by_level, structlog.contextvars.merge_contextvars,
                        structlog.stdlib.add_log_level, structlog.stdlib.add_logger_name,
                        structlog.stdlib.PositionalArgumentsFormatter(),
                        structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
            logger_factory=structlog.stdlib.LoggerFactory(),
            wrapper_class=structlog.stdlib.BoundLogger,
            cache_logger_on_first_use=True,
        )
        root = logging.getLogger()
        for handler in list(root.handlers):
            if handler is _state["handler"] or type(handler) is logging.StreamHandler:
                root.removeHandler(handler)
        handler = _StderrHandler(stream)
        handler.setFormatter(formatter(json))
        root.addHandler(handler)
        if level is not None:
            root.setLevel(level)
        elif root.level in (logging.NOTSET, logging.WARNING):
            root.setLevel(logging.INFO)
        for chatty in QUIET_LIBRARIES:
            logging.getLogger(chatty).setLevel(logging.WARNING)
        _state.update(process=process, handler=handler, json=json)


def is_configured() -> bool:
    """True once `configure` ran in this process."""
    return _state["handler"] is not None


def adopt(logger: logging.Logger) -> None:
    """Send `logger`'s records to the root handler instead of its own handlers (gunicorn's
    `gunicorn.error`, which keeps its own plain handler and does not propagate)."""
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    logger.propagate = True


def get_logger(name: str):
    """A structlog logger named `name` (its events go through the same handler)."""
    return structlog.stdlib.get_logger(name)


# --------------------------------------------------------------------------- context


def bind(**fields) -> None:
    """Add `fields` to every line this thread logs until `clear()` (e.g. request_id)."""
    structlog.contextvars.bind_contextvars(**fields)


def clear() -> None:
    """Drop every field bound to this thread."""
    structlog.contextvars.clear_contextvars()


@contextmanager
def bound(**fields) -> Iterator[None]:
    """`fields` on every line logged inside the block (previous values come back after it)."""
    with structlog.contextvars.bound_contextvars(**fields):
        yield


# --------------------------------------------------------------------------- security events


def security_event(name: str, level: int = logging.WARNING, /, **fields) -> None:
    """Log security event `name` (snake_case: login_failed, role_changed, mfa_disabled,
    api_key_used ...) at `level` (default WARNING) on the `cartwheel.security` logger with
    `fields` (ids, tags, IP: never a secret; secret-named fields are masked anyway; a field
    named like a LogRecord attribute, e.g. `name`, gets a trailing `_`). The line has
    `event: name`, `category: "security"` and `security: true`."""
    extra = {"security_event": name}
    for key, value in fields.items():
        extra[f"{key}_" if key in _RECORD_KEYS else key] = value
    logging.getLogger(SECURITY_LOGGER).log(level, name, extra=extra)
