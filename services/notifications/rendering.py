"""Rendering: the Jinja2 templates under templates/notifications/<template>/
(subject.txt, body.txt, body.html with autoescape, short.txt for SMS and the
in-app message), the `money` filter, and the template listing for admins."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2

import config
from models.notifications import CHANNELS
from services.errors import DomainError
from services.notifications.events import BULK_TEMPLATE, DIRECT_TEMPLATE, EVENTS

TEMPLATE_DIR = Path(config.ROOT) / "templates" / "notifications"
SMS_MAX_CHARS = 1600


def _money(amount, currency: str = "USD") -> str:
    """`5900, "USD"` -> `59.00 USD` (minor units to a decimal string with the currency's exponent)."""
    if amount is None:
        return ""
    exponent = config.CURRENCY_EXPONENTS.get(str(currency).upper(), 2)
    sign = "-" if amount < 0 else ""
    amount = abs(int(amount))
    if exponent == 0:
        return f"{sign}{amount} {currency}"
    whole, frac = divmod(amount, 10 ** exponent)
    return f"{sign}{whole}.{frac:0{exponent}d} {currency}"


_env: jinja2.Environment | None = None


def template_env() -> jinja2.Environment:
    """The Jinja2 environment: files under templates/notifications, autoescape on for
    `.html`, StrictUndefined (a missing variable is an error, not an empty string)."""
    global _env
    if _env is None:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
            autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
            undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False)
        env.filters["money"] = _money
        _env = env
    return _env


@dataclass(frozen=True)
class Rendered:
    """A rendered message: `subject` (email subject, in-app title), `text` (email text part),
    `html` (email HTML part), `short` (SMS body and in-app message)."""

    subject: str
    text: str
    html: str | None
    short: str


def render(template: str, context: dict) -> Rendered:
    """Render the template directory `template` with `context`.

    Raises DomainError (`template_error`, not retried) for a missing template or variable.
    """
    env = template_env()
    try:
        subject = " ".join(env.get_template(f"{template}/subject.txt").render(context).split())
        text = env.get_template(f"{template}/body.txt").render(context).strip() + "\n"
        html = env.get_template(f"{template}/body.html").render(context)
        try:
            short = env.get_template(f"{template}/short.txt").render(context).strip()
        except jinja2.TemplateNotFound:
            short = text.strip()
    except jinja2.TemplateError as exc:
        raise DomainError(f"Template {template!r} could not be rendered: {exc}", reason="template_error") from None
    return Rendered(subject=subject[:500], text=text, html=html, short=short[:SMS_MAX_CHARS])


def list_templates() -> list[dict]:
    """Every template directory: name, the events using it, their category and channels, and its files."""
    by_template: dict[str, list[str]] = {}
    for event, spec in EVENTS.items():
        by_template.setdefault(spec.template, []).append(event)
    found = []
    for path in sorted(p for p in TEMPLATE_DIR.iterdir() if p.is_dir() and not p.name.startswith("_")):
        events = by_template.get(path.name, [])
        specs = [EVENTS[e] for e in events]
        if path.name == DIRECT_TEMPLATE:
            description, channels, category = "Custom message sent by an admin (email or SMS)", ["email", "sms"], None
        elif path.name == BULK_TEMPLATE:
            description, channels, category = "Bulk announcement to a set of users", list(CHANNELS), "marketing"
        else:
            description = specs[0].description if specs else ""
            channels = sorted({c for s in specs for c in s.channels})
            category = specs[0].category if specs else None
        found.append({"name": path.name, "events": events, "category": category, "channels": channels,
                      "description": description,
                      "files": sorted(f.name for f in path.iterdir() if f.is_file())})
    return found
