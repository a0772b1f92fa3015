"""Rules as data: parsed from TOML, checked, and evaluated against metrics. Pure.

A rule names a scope (``group`` or ``student``), an all-of list of conditions on metrics, a
severity, a message template that names the evidence and a suggested move. A condition is data:
a metric, whose subject it reads (``of``: the rule's subject, the student's group, or the class),
a window, a comparison and a threshold, and the minimum evidence under which it never holds.
Nothing is ever ``eval``-ed; templates fill ``{name}`` fields from the evidence only.

The defaults ship as ``live/rules/rules.toml``; a class's override (TOML text in ``classes.rules``)
changes rules by name field by field, adds rules, or turns them off with ``enabled = false``.

Hysteresis: a raised flag stays while its conditions hold with thresholds relaxed by the
condition's ``hysteresis`` (and while evidence is short), so a value hovering at a threshold does
not flap. Rules of one ``family`` (the accuracy bands) hold at most one flag per subject.

A rule's ``action`` says what it asks of the teacher: ``check-in`` (the group needs them) or
``acknowledge`` (the group is doing well: a note for the quiet strip, never a call). A rule with
``until`` conditions is sticky: a flag it raised stays on the question it was raised on (its
evidence key) whatever closes next, and clears when the ``until`` conditions all hold (the
group shows the trouble fixed on a later question of the same skill), or when the teacher checks
in or dismisses it.

Minimum evidence is enforced here, when rules load: a rule that reads answers must need at least
two answers, and at least two students for a group or the class, so one answer from one student
can never raise a flag (for a group rule, two answers from at least two students).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from live.rules.metrics import METRICS, Measure

__all__ = [
    "ACTIONS",
    "OPS",
    "SEVERITIES",
    "Condition",
    "Outcome",
    "Rule",
    "RulesError",
    "default_rules_text",
    "evaluate",
    "load_rules",
    "render",
]

SEVERITIES = ("high", "medium", "low", "info")
ACTIONS = ("check-in", "acknowledge")
"""What a flag asks of the teacher: a call to check in with the group, or a note of progress."""
OPS: dict[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
_SCOPES = ("group", "student")
_OFS = ("self", "group", "class")
_DEFAULT_HYSTERESIS = {
    "minutes_since_checkin": 0.0,
    "days_since_checkin": 0.0,
    "checkin_minutes": 0.0,
    "unanswered": 0.0,
    "seconds_open": 0.0,
}
_FIELD = re.compile(r"\{([a-z_][a-z0-9_]*(?:\.[a-z_]+)?)(?::(%|pp|d))?\}")
_RULE_KEYS = {
    "name",
    "scope",
    "severity",
    "action",
    "family",
    "message",
    "move",
    "enabled",
    "when",
    "until",
}
_COND_KEYS = {
    "metric",
    "of",
    "window",
    "n",
    "skill",
    "op",
    "value",
    "min_count",
    "min_students",
    "hysteresis",
    "as",
}
_SUBJECT_FIELDS = {
    "group": ("group", "goal", "skill"),
    "student": ("card", "group", "goal", "skill"),
}


class RulesError(ValueError):
    """A rules file that cannot be used, with a message naming the rule and the field."""


@dataclass(frozen=True)
class Condition:
    metric: str
    op: str
    value: float
    window: str
    of: str = "self"
    n: int = 1
    skill: str | None = None
    min_count: int = 0
    min_students: int = 0
    hysteresis: float = 0.1
    name: str = ""  # the template's name for it ("as"); the metric's name by default

    def holds(self, m: Measure) -> bool:
        """True when the measure has the evidence and passes the threshold (to raise)."""
        if m.value is None or m.count < self.min_count or m.students < self.min_students:
            return False
        return OPS[self.op](m.value, self.value)

    def keeps(self, m: Measure) -> bool:
        """True unless the measure, with enough evidence, fails the relaxed threshold."""
        if m.value is None or m.count < self.min_count or m.students < self.min_students:
            return True
        relaxed = (
            self.value + self.hysteresis
            if self.op in ("<", "<=")
            else (self.value - self.hysteresis)
        )
        return OPS[self.op](m.value, relaxed)

    @property
    def answers(self) -> bool:
        return METRICS[self.metric].answers


@dataclass(frozen=True)
class Rule:
    name: str
    scope: str
    severity: str
    when: tuple[Condition, ...]
    message: str
    move: str = ""
    family: str = ""
    action: str = "check-in"
    until: tuple[Condition, ...] = ()

    @property
    def min_count(self) -> int:
        return max((c.min_count for c in self.when if c.answers), default=0)

    @property
    def sticky(self) -> bool:
        """Whether a raised flag follows its own evidence key until ``until`` holds."""
        return bool(self.until)

    @property
    def kin(self) -> str:
        """The name that a dismissal silences: the family, or the rule alone."""
        return self.family or self.name

    @property
    def this_session(self) -> bool:
        """Whether the rule reads this session's questions (or only earlier sessions and the
        check-in history, like ``goal-stalled`` and ``rotation-equity``)."""
        return any(c.window in ("question", "closed", "last", "session") for c in self.when)


def default_rules_text() -> str:
    return resources.files("live.rules").joinpath("rules.toml").read_text(encoding="utf-8")


def load_rules(defaults: str | None = None, override: str | None = None) -> tuple[Rule, ...]:
    """The rules from ``defaults`` (the shipped file when None) changed by ``override``.

    Raises ``RulesError`` with a message naming what is wrong.
    """
    base = _parse(default_rules_text() if defaults is None else defaults, "defaults")
    merged: dict[str, dict[str, Any]] = {r["name"]: r for r in base}
    if override and override.strip():
        for r in _parse(override, "override"):
            if r["name"] in merged:
                merged[r["name"]] = {**merged[r["name"]], **r}
            else:
                merged[r["name"]] = r
    return tuple(_rule(raw) for raw in merged.values() if raw.get("enabled", True))


MAX_TOML_DEPTH = 32
"""Arrays and inline tables nest at most this deep in a rules file (rules need three levels);
``tomllib`` parses by recursion, so a file nested hundreds deep would exhaust the stack."""


def toml_depth(text: str) -> int:
    """How deep ``[`` and ``{`` nest in TOML ``text``, outside strings and comments.

    A lexical count that does not parse: cheap, and safe on any input.
    """
    depth = deepest = 0
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif c in "\"'":
            quote = c * 3 if text.startswith(c * 3, i) else c
            i += len(quote)
            while i < n and not text.startswith(quote, i):
                if c == '"' and text[i] == "\\":
                    i += 1  # an escaped character, maybe a quote
                elif len(quote) == 1 and text[i] == "\n":
                    break  # an unclosed one-line string: tomllib will say so
                i += 1
            i += len(quote)
        else:
            if c in "[{":
                depth += 1
                deepest = max(deepest, depth)
            elif c in "]}":
                depth -= 1
            i += 1
    return deepest


def _parse(text: str, where: str) -> list[dict[str, Any]]:
    depth = toml_depth(text)
    if depth > MAX_TOML_DEPTH:
        raise RulesError(
            f"the rules {where} nest arrays or tables {depth} deep; at most {MAX_TOML_DEPTH}"
        )
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"the rules {where} is not valid TOML: {exc}") from None
    except RecursionError:  # the count above missed a nesting: refuse all the same
        raise RulesError(f"the rules {where} nest too deeply") from None
    unknown = set(data) - {"rule"}
    if unknown:
        raise RulesError(
            f"unknown table {sorted(unknown)[0]!r} in the rules {where}; write rules as [[rule]]"
        )
    rules = data.get("rule", [])
    if not isinstance(rules, list):
        raise RulesError(f"rules in the {where} must be an array of tables ([[rule]])")
    out = []
    for i, raw in enumerate(rules):
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"]:
            raise RulesError(f"rule {i + 1} of the {where} needs a name")
        bad = set(raw) - _RULE_KEYS
        if bad:
            raise RulesError(f"rule {raw['name']!r}: unknown field {sorted(bad)[0]!r}")
        out.append(raw)
    return out


def _rule(raw: dict[str, Any]) -> Rule:
    name = raw["name"]

    def need(key: str, kind: type, default: Any = None) -> Any:
        value = raw.get(key, default)
        if value is None:
            raise RulesError(f"rule {name!r}: {key} is required")
        if not isinstance(value, kind):
            kinds = {"str": "text", "list": "list of conditions ([[rule.when]])"}
            raise RulesError(f"rule {name!r}: {key} must be a {kinds[kind.__name__]}")
        return value

    scope = need("scope", str)
    if scope not in _SCOPES:
        raise RulesError(f"rule {name!r}: scope must be group or student, not {scope!r}")
    severity = need("severity", str)
    if severity not in SEVERITIES:
        raise RulesError(f"rule {name!r}: severity must be one of {', '.join(SEVERITIES)}")
    when_raw = need("when", list)
    if not when_raw:
        raise RulesError(f"rule {name!r}: when needs at least one condition")
    when = tuple(_condition(name, scope, i, c) for i, c in enumerate(when_raw))
    action = need("action", str, "check-in")
    if action not in ACTIONS:
        raise RulesError(f"rule {name!r}: action must be check-in or acknowledge, not {action!r}")
    until_raw = raw.get("until", [])
    if not isinstance(until_raw, list):
        raise RulesError(f"rule {name!r}: until must be a list of conditions ([[rule.until]])")
    until = tuple(_condition(name, scope, i, c, until=True) for i, c in enumerate(until_raw))
    if until and not any(c.metric == "shared_wrong" for c in when):
        raise RulesError(
            f"rule {name!r}: until needs a condition keyed by its question (shared_wrong)"
        )
    if any(c.window == "after" for c in when):
        raise RulesError(f"rule {name!r}: the after window is for until conditions only")
    rule = Rule(
        name=name,
        scope=scope,
        severity=severity,
        when=when,
        message=need("message", str),
        move=need("move", str, ""),
        family=need("family", str, ""),
        action=action,
        until=until,
    )
    _check_evidence(rule)
    _check_template(rule)
    return rule


def _condition(rule: str, scope: str, i: int, raw: Any, *, until: bool = False) -> Condition:
    where = f"rule {rule!r}, {'until ' if until else ''}condition {i + 1}"
    if not isinstance(raw, dict):
        raise RulesError(f"{where}: must be a table")
    bad = set(raw) - _COND_KEYS
    if bad:
        raise RulesError(f"{where}: unknown field {sorted(bad)[0]!r}")
    metric = raw.get("metric")
    if metric not in METRICS:
        raise RulesError(f"{where}: unknown metric {metric!r}; one of {', '.join(METRICS)}")
    spec = METRICS[metric]
    of = raw.get("of", "self")
    if of not in _OFS or (of == "group" and scope != "student"):
        raise RulesError(f"{where}: of must be self, class (or group, for a student rule)")
    subject = {"self": scope, "group": "group", "class": "class"}[of]
    if subject not in spec.scopes:
        raise RulesError(f"{where}: {metric} is not defined for a {subject}")
    window = raw.get("window")
    if window == "after" and until and metric == "accuracy":
        pass  # the questions of the flag's skill closed after the flag's own question
    elif window not in spec.windows:
        raise RulesError(
            f"{where}: window for {metric} must be one of {', '.join(sorted(spec.windows))}"
        )
    op = raw.get("op")
    if op not in OPS:
        raise RulesError(f"{where}: op must be one of {', '.join(OPS)}")
    value = raw.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RulesError(f"{where}: value must be a number")
    ints = {}
    for key, default in (("n", 1), ("min_count", 0), ("min_students", 0)):
        v = raw.get(key, default)
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 1000:
            raise RulesError(f"{where}: {key} must be a whole number from 0 to 1000")
        ints[key] = v
    if window in ("last", "sessions", "weeks") and ints["n"] < 1:
        raise RulesError(f"{where}: n must be at least 1 for the {window} window")
    skill = raw.get("skill")
    if skill is not None and (not spec.skill or not isinstance(skill, str) or not skill):
        raise RulesError(
            f"{where}: {metric} takes no skill"
            if not spec.skill
            else f'{where}: skill must be a tag or "goal"'
        )
    hysteresis = raw.get("hysteresis", _DEFAULT_HYSTERESIS.get(metric, 0.1))
    if isinstance(hysteresis, bool) or not isinstance(hysteresis, int | float) or hysteresis < 0:
        raise RulesError(f"{where}: hysteresis must be a number >= 0")
    default_name = metric if of == "self" else f"{of}_{metric}"
    name = raw.get("as", default_name)
    if not isinstance(name, str) or not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise RulesError(f"{where}: as must be a lower-case name")
    return Condition(
        metric=metric,
        op=op,
        value=float(value),
        window=window,
        of=of,
        skill=skill,
        hysteresis=float(hysteresis),
        name=name,
        **ints,
    )


def _check_evidence(rule: Rule) -> None:
    answer_conditions = [c for c in rule.when if c.answers]
    if not answer_conditions:
        return
    if max(c.min_count for c in answer_conditions) < 2:
        raise RulesError(
            f"rule {rule.name!r}: min_count must be at least 2 on a condition about "
            "answers (one answer never raises a flag)"
        )
    if rule.scope == "group" and max(c.min_students for c in answer_conditions) < 2:
        raise RulesError(
            f"rule {rule.name!r}: min_students must be at least 2 on a condition "
            "about answers (one student never raises a flag for a group)"
        )


def _fields(rule: Rule) -> set[str]:
    names = set(_SUBJECT_FIELDS[rule.scope])
    for c in rule.when:
        names.add(c.name)
        names.update(
            f"{c.name}.{d}" for d in (*METRICS[c.metric].details, "count", "students", "class")
        )
    return names


def _check_template(rule: Rule) -> None:
    known = _fields(rule)
    for text in (rule.message, rule.move):
        for m in _FIELD.finditer(text):
            if m.group(1) not in known:
                raise RulesError(
                    f"rule {rule.name!r}: the template names {{{m.group(1)}}}, "
                    f"which is not one of {', '.join(sorted(known))}"
                )
        stray = _FIELD.sub("", text)
        if "{" in stray or "}" in stray:
            raise RulesError(f"rule {rule.name!r}: a template field is malformed: {text!r}")


def render(template: str, values: Mapping[str, Any]) -> str:
    """Fill ``{name}``, ``{name:%}`` (percent), ``{name:pp}`` (signed points), ``{name:d}``."""

    def one(m: re.Match[str]) -> str:
        value = values.get(m.group(1))
        fmt = m.group(2)
        if value is None:
            return "?"
        if isinstance(value, int | float) and not isinstance(value, bool):
            if fmt == "%":
                return f"{round(100 * value)}%"
            if fmt == "pp":
                return f"{round(100 * value):+d} points"
            if fmt == "d" or float(value).is_integer():
                return str(round(value))
            return f"{value:.1f}"
        return str(value)

    return _FIELD.sub(one, template)


@dataclass
class Outcome:
    """One rule on one subject: whether it may raise, whether a raised flag stays, and the
    evidence."""

    raises: bool
    keeps: bool
    key: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    fixed: bool = False  # a sticky flag's ``until`` conditions all hold


MeasureFn = Callable[[Condition], Measure]


def evaluate(rule: Rule, measure: MeasureFn, *, full: bool) -> Outcome:
    """Evaluate ``rule`` with ``measure`` (the subject is bound in it).

    With ``full`` False it stops at the first condition that fails to hold (nothing is raised,
    nothing is kept); with ``full`` it reads every condition to decide the keep test as well.
    """
    raises = keeps = True
    key: str | None = None
    evidence: dict[str, Any] = {}
    for c in rule.when:
        m = measure(c)
        holds = c.holds(m)
        raises = raises and holds
        if not full and not raises:
            return Outcome(False, False)
        keeps = keeps and (holds or c.keeps(m))
        evidence[c.name] = {
            "value": m.value,
            "count": m.count,
            "students": m.students,
            **{k: v for k, v in m.details.items() if k != "key"},
        }
        if key is None and "key" in m.details:
            key = str(m.details["key"])
    return Outcome(raises, keeps, key, evidence)


def template_values(evidence: Mapping[str, Any], subject: Mapping[str, Any]) -> dict[str, Any]:
    """The flat ``name`` / ``name.detail`` values a template reads."""
    values = dict(subject)
    for name, e in evidence.items():
        if not isinstance(e, dict):
            continue
        values[name] = e.get("value")
        for k, v in e.items():
            if k != "value":
                values[f"{name}.{k}"] = v
    return values
