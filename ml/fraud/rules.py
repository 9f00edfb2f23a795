"""Fraud rules in Stripe Radar's syntax, parsed by a small safe grammar (no eval).

A rule is `<action> if <condition>`, e.g. `block if risk_score >= 75`,
`review if amount > 50000 and is_new_customer`,
`block if :ip_country: in ('KP', 'IR') or failed_payments_card_1h >= 3`.
Actions: allow, review, block. Attributes may be written bare or between
colons as in Radar (`:risk_score:`). See
https://docs.stripe.com/radar/rules/reference for the syntax it follows.

Grammar (case-insensitive keywords):

    rule       := ACTION "if" expr
    expr       := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | primary
    primary    := "(" expr ")" | comparison | ATTRIBUTE        (a boolean attribute)
    comparison := operand OP operand | ATTRIBUTE ["not"] "in" "(" literal ("," literal)* ")"
    OP         := "=" | "==" | "!=" | ">" | ">=" | "<" | "<="
    operand    := ATTRIBUTE | NUMBER | STRING | "true" | "false"

Attributes are typed (number, bool, string; see ATTRIBUTES) and checked at
parse time. Evaluation uses three-valued logic: a comparison with an unknown
(None) attribute is unknown, and only a condition that is definitely true
matches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ml.fraud.features import FEATURES

ACTIONS = ("allow", "review", "block")
MAX_RULE_LENGTH = 500
MAX_NODES = 64

ATTRIBUTES: dict[str, str] = {
    name: ("bool" if name.startswith("is_") or name.endswith("_mismatch") else "number") for name in FEATURES
}
ATTRIBUTES.update({
    "risk_score": "number", "probability": "number", "risk_level": "string",
    "currency": "string", "payment_method": "string", "email_domain": "string",
    "ip_country": "string", "shipping_country": "string", "billing_country": "string",
})
"""Every attribute a rule may use, with its type."""


class RuleError(ValueError):
    """A rule does not parse or does not type-check; `position` is the character offset."""

    def __init__(self, message: str, position: int = 0):
        super().__init__(message)
        self.position = position


@dataclass(frozen=True)
class Rule:
    """A parsed rule: `action`, the condition `tree` and its canonical `expression` text."""

    action: str
    tree: tuple
    expression: str

    @property
    def text(self) -> str:
        """The canonical rule text, e.g. `block if risk_score >= 75`."""
        return f"{self.action} if {self.expression}"

    def matches(self, attributes: dict) -> bool:
        """True when the condition is definitely true for `attributes` ({name: value or None})."""
        return _eval(self.tree, attributes) is True


_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<string>'[^'\\]{0,200}'|"[^"\\]{0,200}")
  | (?P<op>>=|<=|!=|==|=|>|<)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<comma>,)
  | (?P<attr>:[a-z_][a-z0-9_]*:)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
""", re.VERBOSE)

KEYWORDS = {"and", "or", "not", "in", "if", "true", "false"}


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    tokens, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise RuleError(f"unexpected character {text[pos]!r} at {pos}", pos)
        kind = m.lastgroup
        value = m.group()
        if kind == "attr":
            kind, value = "word", value[1:-1]
        if kind != "ws":
            tokens.append((kind, value, pos))
        pos = m.end()
    tokens.append(("end", "", len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str):
        self.tokens = _tokenize(text)
        self.i = 0
        self.nodes = 0

    def peek(self):
        return self.tokens[self.i]

    def take(self):
        token = self.tokens[self.i]
        self.i += 1
        return token

    def keyword(self, word: str) -> bool:
        kind, value, _ = self.peek()
        if kind == "word" and value.lower() == word:
            self.i += 1
            return True
        return False

    def expect(self, kind: str, what: str):
        token = self.take()
        if token[0] != kind:
            raise RuleError(f"expected {what} at {token[2]}, found {token[1] or 'end of rule'!r}", token[2])
        return token

    def node(self, tree):
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise RuleError(f"rule is too complex (more than {MAX_NODES} terms)")
        return tree

    def expr(self):
        terms = [self.and_expr()]
        while self.keyword("or"):
            terms.append(self.and_expr())
        return terms[0] if len(terms) == 1 else self.node(("or", tuple(terms)))

    def and_expr(self):
        terms = [self.not_expr()]
        while self.keyword("and"):
            terms.append(self.not_expr())
        return terms[0] if len(terms) == 1 else self.node(("and", tuple(terms)))

    def not_expr(self):
        if self.keyword("not"):
            return self.node(("not", self.not_expr()))
        return self.primary()

    def primary(self):
        kind, value, pos = self.peek()
        if kind == "lparen":
            self.take()
            inner = self.expr()
            self.expect("rparen", "')'")
            return inner
        left = self.operand()
        kind, value, pos = self.peek()
        negated = False
        if kind == "word" and value.lower() == "not" and self.tokens[self.i + 1][1].lower() == "in":
            self.take()
            negated = True
            kind, value, pos = self.peek()
        if kind == "word" and value.lower() == "in":
            self.take()
            if left[0] != "attr":
                raise RuleError(f"'in' needs an attribute on its left (at {pos})", pos)
            self.expect("lparen", "'('")
            items = [self.literal()]
            while self.peek()[0] == "comma":
                self.take()
                items.append(self.literal())
            self.expect("rparen", "')'")
            for item in items:
                _check_types(left, "=", item, pos)
            tree = self.node(("in", left, tuple(i[1] for i in items)))
            return self.node(("not", tree)) if negated else tree
        if kind == "op":
            self.take()
            right = self.operand()
            op = "=" if value == "==" else value
            _check_types(left, op, right, pos)
            return self.node(("cmp", op, left, right))
        if left[0] == "attr" and ATTRIBUTES[left[1]] == "bool":
            return self.node(("truthy", left))
        raise RuleError(f"expected a comparison at {pos}, found {value or 'end of rule'!r}", pos)

    def literal(self):
        operand = self.operand()
        if operand[0] == "attr":
            raise RuleError("a list may only hold numbers or strings")
        return operand

    def operand(self):
        kind, value, pos = self.take()
        if kind == "number":
            return ("num", float(value) if "." in value else int(value))
        if kind == "string":
            return ("str", value[1:-1])
        if kind == "word":
            lowered = value.lower()
            if lowered in ("true", "false"):
                return ("boolean", lowered == "true")
            if lowered in KEYWORDS:
                raise RuleError(f"unexpected keyword {value!r} at {pos}", pos)
            if lowered not in ATTRIBUTES:
                raise RuleError(f"unknown attribute {value!r} at {pos}", pos)
            return ("attr", lowered)
        raise RuleError(f"expected an attribute or a value at {pos}, found {value or 'end of rule'!r}", pos)


_LITERAL_TYPES = {"num": "number", "str": "string", "boolean": "bool"}


def _type(operand) -> str:
    return ATTRIBUTES[operand[1]] if operand[0] == "attr" else _LITERAL_TYPES[operand[0]]


def _check_types(left, op, right, pos) -> None:
    if left[0] != "attr" and right[0] != "attr":
        raise RuleError(f"a comparison needs at least one attribute (at {pos})", pos)
    lt, rt = _type(left), _type(right)
    if lt != rt:
        raise RuleError(f"cannot compare {lt} with {rt} (at {pos})", pos)
    if lt != "number" and op not in ("=", "!="):
        raise RuleError(f"{op} needs numbers; {lt} values only support = and != (at {pos})", pos)


def parse_rule(text: str) -> Rule:
    """Parse `<action> if <condition>` into a Rule. Raises RuleError with a readable message."""
    if not isinstance(text, str) or not text.strip():
        raise RuleError("a rule is required")
    if len(text) > MAX_RULE_LENGTH:
        raise RuleError(f"a rule is at most {MAX_RULE_LENGTH} characters")
    parser = _Parser(text.strip())
    kind, action, pos = parser.take()
    if kind != "word" or action.lower() not in ACTIONS:
        raise RuleError(f"a rule starts with one of {', '.join(ACTIONS)}", pos)
    if not parser.keyword("if"):
        raise RuleError(f"expected 'if' after {action!r}", parser.peek()[2])
    tree = parser.expr()
    kind, value, pos = parser.peek()
    if kind != "end":
        raise RuleError(f"unexpected {value!r} at {pos}", pos)
    return Rule(action.lower(), tree, render(tree))


def render(tree) -> str:
    """Canonical text of a condition tree (lower-case keywords, single spaces, parentheses
    only where precedence needs them)."""
    kind = tree[0]
    if kind in ("and", "or"):
        parts = [f"({render(t)})" if kind == "and" and t[0] == "or" else render(t) for t in tree[1]]
        return f" {kind} ".join(parts)
    if kind == "not":
        sub = tree[1]
        if sub[0] == "in":
            return f"{_operand(sub[1])} not in ({', '.join(_literal(v) for v in sub[2])})"
        return f"not ({render(sub)})" if sub[0] in ("and", "or") else f"not {render(sub)}"
    if kind == "truthy":
        return _operand(tree[1])
    if kind == "in":
        return f"{_operand(tree[1])} in ({', '.join(_literal(v) for v in tree[2])})"
    if kind == "cmp":
        return f"{_operand(tree[2])} {tree[1]} {_operand(tree[3])}"
    raise AssertionError(kind)


def _literal(value) -> str:
    if isinstance(value, str):
        return "'" + value + "'" if "'" not in value else '"' + value + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def _operand(operand) -> str:
    return operand[1] if operand[0] == "attr" else _literal(operand[1])


def _value(operand, attributes):
    if operand[0] == "attr":
        value = attributes.get(operand[1])
        if value is not None and ATTRIBUTES[operand[1]] == "bool":
            return bool(value)
        if isinstance(value, float) and value != value:  # NaN is unknown
            return None
        return value
    return operand[1]


def _eval(tree, attributes):
    kind = tree[0]
    if kind == "or":
        results = [_eval(t, attributes) for t in tree[1]]
        return True if True in results else (None if None in results else False)
    if kind == "and":
        results = [_eval(t, attributes) for t in tree[1]]
        return False if False in results else (None if None in results else True)
    if kind == "not":
        result = _eval(tree[1], attributes)
        return None if result is None else not result
    if kind == "truthy":
        return _value(tree[1], attributes)
    if kind == "in":
        value = _value(tree[1], attributes)
        if value is None:
            return None
        return _norm(value) in {_norm(v) for v in tree[2]}
    left, right = _value(tree[2], attributes), _value(tree[3], attributes)
    if left is None or right is None:
        return None
    left, right = _norm(left), _norm(right)
    op = tree[1]
    return {"=": left == right, "!=": left != right, ">": left > right, ">=": left >= right,
            "<": left < right, "<=": left <= right}[op]


def _norm(value):
    return value.lower() if isinstance(value, str) else value


def decide(rules: list[Rule], attributes: dict) -> tuple[str, Rule | None]:
    """The first matching rule's action and the rule; ("allow", None) when none matches."""
    for rule in rules:
        if rule.matches(attributes):
            return rule.action, rule
    return "allow", None
