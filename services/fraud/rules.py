"""Fraud rule storage: admin CRUD and reordering of the ordered rules (the rule language and
its parser are ml.fraud.rules). An empty rule table means DEFAULT_RULES.
"""

from __future__ import annotations

import logging

from ml.fraud import rules as rule_lang
from models.db import atomic, isoformat, utcnow
from models.fraud import FraudRule
from services.errors import NotFound, ValidationFailed

log = logging.getLogger(__name__)

DEFAULT_RULES = [
    ("block", "risk_level = 'highest'", "Radar default: block the highest risk"),
    ("review", "risk_level = 'elevated'", "Radar default: review elevated risk"),
    ("block", "failed_payments_card_1h >= 3 or failed_payments_ip_1h >= 4", "Card testing"),
    ("review", "is_disposable_email and amount > 20000", "Large order from a disposable email"),
]
"""Rules used while the rule table is empty: (action, condition, description)."""


def _parse(action: str, condition: str):
    try:
        return rule_lang.parse_rule(f"{action} if {condition}")
    except rule_lang.RuleError as exc:
        raise ValidationFailed(f"Invalid rule: {exc}", reason="invalid_rule",
                               details=[{"field": "rule", "message": str(exc)}]) from None


def parse_rule_text(text: str):
    """Parse a full rule text (`block if risk_score >= 75`). Raises ValidationFailed (422 invalid_rule)."""
    try:
        return rule_lang.parse_rule(text)
    except rule_lang.RuleError as exc:
        raise ValidationFailed(f"Invalid rule: {exc}", reason="invalid_rule",
                               details=[{"field": "rule", "message": str(exc)}]) from None


def list_rules() -> list[FraudRule]:
    """The stored rules in evaluation order."""
    return list(FraudRule.select().order_by(FraudRule.position, FraudRule.created_at))


def effective_rules() -> list:
    """Parsed enabled rules in order: the stored ones, or DEFAULT_RULES when none is stored."""
    stored = list_rules()
    if not stored:
        return [(None, rule_lang.parse_rule(f"{a} if {c}")) for a, c, _ in DEFAULT_RULES]
    parsed = []
    for rule in stored:
        if rule.enabled:
            try:
                parsed.append((rule.id, rule_lang.parse_rule(f"{rule.action} if {rule.expression}")))
            except rule_lang.RuleError:  # validated on save; a grammar change must not stop scoring
                log.error("stored fraud rule %s no longer parses; skipped", rule.id)
    return parsed


def get_rule(rule_id: str) -> FraudRule:
    rule = FraudRule.get_or_none(FraudRule.id == rule_id)
    if rule is None:
        raise NotFound("Fraud rule not found", reason="fraud_rule_not_found")
    return rule


def create_rule(text: str, description: str = "", enabled: bool = True, position: int | None = None) -> FraudRule:
    """Validate and store a rule at `position` (0-based; default last). Raises ValidationFailed."""
    parsed = parse_rule_text(text)
    with atomic():
        rules = list_rules()
        index = len(rules) if position is None else max(0, min(position, len(rules)))
        rule = FraudRule.create(position=index, action=parsed.action, expression=parsed.expression,
                                description=description or "", enabled=enabled)
        rules.insert(index, rule)
        _renumber([r.id for r in rules])
    return get_rule(rule.id)


def update_rule(rule_id: str, text: str | None = None, description: str | None = None,
                enabled: bool | None = None) -> FraudRule:
    """Change a rule's text, description or enabled flag. Raises NotFound, ValidationFailed."""
    changes = {"updated_at": utcnow()}
    if text is not None:
        parsed = parse_rule_text(text)
        changes.update(action=parsed.action, expression=parsed.expression)
    if description is not None:
        changes["description"] = description
    if enabled is not None:
        changes["enabled"] = enabled
    with atomic():
        get_rule(rule_id)
        FraudRule.update(**changes).where(FraudRule.id == rule_id).execute()
    return get_rule(rule_id)


def delete_rule(rule_id: str) -> None:
    """Delete a rule and renumber the rest. Raises NotFound."""
    with atomic():
        get_rule(rule_id).delete_instance()
        _renumber([r.id for r in list_rules()])


def reorder_rules(rule_ids: list[str]) -> list[FraudRule]:
    """Set the evaluation order: `rule_ids` must list every stored rule exactly once.
    Raises ValidationFailed otherwise."""
    with atomic():
        current = {r.id for r in list_rules()}
        if len(rule_ids) != len(set(rule_ids)) or set(rule_ids) != current:
            raise ValidationFailed("ruleIds must list every rule exactly once", reason="invalid_rule_order",
                                   details=[{"field": "ruleIds", "message": "Give each rule id once"}])
        _renumber(rule_ids)
    return list_rules()


def _renumber(rule_ids: list[str]) -> None:
    for index, rule_id in enumerate(rule_ids):
        FraudRule.update(position=index).where(FraudRule.id == rule_id).execute()


def rule_to_dict(rule: FraudRule) -> dict:
    return {"id": rule.id, "position": rule.position, "action": rule.action, "condition": rule.expression,
            "rule": f"{rule.action} if {rule.expression}", "description": rule.description,
            "enabled": rule.enabled, "createdAt": isoformat(rule.created_at), "updatedAt": isoformat(rule.updated_at)}
