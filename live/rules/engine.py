"""The rule engine's core, pure: a session's log in, flag decisions out.

``Engine`` is a fold over one session's committed events, its own ``flag.*`` events included:
``apply`` updates the metrics and the table of open flags, ``decide(now)`` evaluates the rules
and says what to raise, update and resolve; ``tick(now)`` decides with no new event, for the
rules that read the clock. The shell (``live.rules.flags``) stores each decision as a flag row and an
event, and applies that event back, so the engine's state after a restart is the replay of the
log, and two processes sharing the store agree.

A flag is identified by rule, subject and evidence key (the question, for a misconception): the
same misconception on a new question is a new flag. A sticky rule's flag (the misconception)
stays on its own question until the group shows it fixed on a later question of the same skill
(resolved as ``fixed``), or the teacher checks in or dismisses it.

A check-in is heard: it resolves the open flags of the group and of its students, and from then
on the group's rules read only questions asked after it (``since``), raise nothing before one
of those has closed, and meet their minimum evidence on those answers alone; a rule that reads
only earlier sessions (``goal-stalled``, ``rotation-equity``) stays quiet for the group for
the rest of the session. A dismissed flag stays quiet ("snoozed") until its condition has
cleared once, and its family reads only questions asked after the dismissal, so the teacher is
not told the same thing twice in a session.

One call per group: a group with a check-in call open has no ``acknowledge`` note at the same
time (a note is resolved as ``superseded``, and none is raised), and the rules of one family
hold one flag per subject. The end of the session resolves what is still open.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from live.events import (
    CheckinStarted,
    Event,
    FlagRaised,
    FlagResolved,
    FlagUpdated,
    ResponseRecorded,
    SessionEnded,
)
from live.rules.metrics import (
    CLASS,
    CLASS_METRICS,
    CLOCK_METRICS,
    RUN_METRICS,
    Context,
    Key,
    Measure,
    SessionMetrics,
    group_key,
    student_key,
)
from live.rules.rules import (
    Condition,
    MeasureFn,
    Outcome,
    Rule,
    evaluate,
    render,
    template_values,
)

__all__ = ["Decision", "Engine", "FlagId", "OpenFlag", "Raise", "Resolve", "Update"]


@dataclass(frozen=True)
class FlagId:
    """What makes two flags the same flag."""

    rule: str
    group: int | None
    student: int | None
    key: str | None = None


@dataclass
class OpenFlag:
    id: int
    ident: FlagId
    severity: str
    message: str
    raised_seq: int = 0
    action: str = "check-in"


@dataclass(frozen=True)
class Raise:
    ident: FlagId
    scope: str
    severity: str
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    action: str = "check-in"


@dataclass(frozen=True)
class Update:
    flag: int
    severity: str
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Resolve:
    flag: int
    reason: str  # "cleared" | "fixed" | "superseded" | "checkin" | "dismissed" | "session.ended"


Decision = Raise | Update | Resolve


class Engine:
    """One session's metrics and flags. Not thread-safe; the shell serialises calls."""

    def __init__(self, context: Context, rules: Sequence[Rule], *, session_id: int) -> None:
        self.context = context
        self.rules = tuple(rules)
        self._by_name = {r.name: r for r in self.rules}
        self.session_id = session_id
        self.metrics = SessionMetrics(context, session_id)
        self.open: dict[FlagId, OpenFlag] = {}
        self.by_id: dict[int, FlagId] = {}
        self.snoozed: set[FlagId] = set()
        # what the teacher has heard: per group, the position in the session's questions of
        # its latest check-in; per (family, group, student), of its latest dismissal; and the
        # (rule, group) of rules on earlier sessions, quiet after a check-in
        self.heard: dict[int, int] = {}
        self.heard_kin: dict[tuple[str, int | None, int | None], int] = {}
        self.quiet: set[tuple[str, int]] = set()
        self.seq = 0
        self._checkins: list[tuple[int, int]] = []  # (group, seq) not yet decided on
        self._subjects: dict[str, list[tuple[Key, int | None, int | None]]] = {}
        # what changed since the last decision: only those subjects are evaluated again, and
        # rules that read the class or the clock (see ``_reads``)
        self._dirty_all = True
        self._dirty: set[Key] = set()
        self._reads = {r.name: _reads(r) for r in self.rules}
        # per rule, the conditions on the subject alone; per (rule, subject), whether they
        # failed when the subject last changed (then no change of the class or clock raises it)
        self._static = {
            r.name: tuple(
                c
                for c in r.when
                if c.of != "class"
                and c.metric not in CLOCK_METRICS
                and c.metric not in CLASS_METRICS
            )
            for r in self.rules
        }
        self._static_fail: dict[tuple[str, Key], bool] = {}
        self._valid_subjects: set[tuple[str, int | None, int | None]] | None = None
        self._ended = False

    # -- the fold ------------------------------------------------------------------------

    def apply(self, event: Event) -> None:
        """Fold one committed event in (in seq order; an event already seen is ignored)."""
        if event.seq <= self.seq:
            return
        self.seq = event.seq
        p = event.payload
        if isinstance(p, FlagRaised):
            key = p.evidence.get("key") if isinstance(p.evidence, dict) else None
            ident = FlagId(p.rule, p.group, p.student, None if key is None else str(key))
            rule = self._by_name.get(p.rule)  # a log from before actions: the rule says
            action = rule.action if rule is not None else p.action
            self.open[ident] = OpenFlag(p.flag, ident, p.severity, p.message, event.seq, action)
            self.by_id[p.flag] = ident
            self.snoozed.discard(ident)
        elif isinstance(p, FlagUpdated):
            updated = self.by_id.get(p.flag)
            if updated is not None and updated in self.open:
                self.open[updated].severity = p.severity
                self.open[updated].message = p.message
        elif isinstance(p, FlagResolved):
            resolved = self.by_id.pop(p.flag, None)
            if resolved is not None:
                self.open.pop(resolved, None)
                self._dirty_all = True  # a family may hand over to another of its rules
                if p.reason == "dismissed":
                    self.snoozed.add(resolved)
                    rule = self._by_name.get(resolved.rule)
                    kin = rule.kin if rule is not None else resolved.rule
                    where = (kin, resolved.group, resolved.student)
                    self.heard_kin[where] = len(self.metrics.order)
        else:
            self.metrics.apply(event)
            if isinstance(p, ResponseRecorded):
                group = self.context.students.get(p.student)
                self._dirty.update((student_key(p.student), CLASS))
                if group is not None:
                    self._dirty.add(group_key(group))
            else:
                self._dirty_all = True
            if self.snoozed:
                self._release(event.at)
            if isinstance(p, CheckinStarted):
                self._checkins.append((p.group, event.seq))
                self.heard[p.group] = len(self.metrics.order)
                self.quiet.update((r.name, p.group) for r in self.rules if not r.this_session)
            elif isinstance(p, SessionEnded):
                self._ended = True

    def _release(self, now: float) -> None:
        """End the snooze of each flag whose condition has cleared (or whose evidence moved on).

        Done here, after every event that changes the metrics, and not in ``decide``: so the
        snoozes are a function of the log, and a replay ends them exactly where the live engine
        did.
        """
        rules = self._by_name
        cache: dict[tuple[Any, ...], Measure] = {}
        for ident in list(self.snoozed):
            rule = rules.get(ident.rule)
            if rule is None:
                self.snoozed.discard(ident)
                continue
            key = (
                student_key(ident.student)
                if ident.student is not None
                else (group_key(ident.group) if ident.group is not None else None)
            )
            if key is None:
                self.snoozed.discard(ident)
                continue
            since = self._since(rule, ident.group, ident.student)
            o = evaluate(rule, self._bind(cache, key, ident.group, now, since), full=True)
            if not o.keeps or o.key != ident.key:
                self.snoozed.discard(ident)

    def replay(self, events: Sequence[Event]) -> Engine:
        for e in events:
            self.apply(e)
        return self

    # -- decisions -----------------------------------------------------------------------

    def subjects(self, scope: str) -> list[tuple[Key, int | None, int | None]]:
        """(metrics key, group, student) of every subject a rule of ``scope`` looks at."""
        cached = self._subjects.get(scope)
        if cached is not None:
            return cached
        ctx = self.context
        out: list[tuple[Key, int | None, int | None]]
        if scope == "group":
            out = [(group_key(g), g, None) for g in ctx.groups if ctx.members.get(g)]
        else:
            out = [
                (student_key(s), g, s)
                for s, g in sorted(ctx.students.items())
                if g is not None and g in ctx.groups
            ]
        self._subjects[scope] = out
        return out

    def _measure(
        self,
        cache: dict[tuple[Any, ...], Measure],
        key: Key,
        group: int | None,
        c: Condition,
        now: float,
        since: int,
        anchor: int | None,
    ) -> Measure:
        subject = (
            key
            if c.of == "self"
            else CLASS
            if c.of == "class"
            else (group_key(group) if group is not None else None)
        )
        if subject is None:
            return Measure(None)
        if subject == CLASS:  # the class is the context of a call, not its evidence
            since, anchor = 0, None
        least = c.min_count if c.metric in RUN_METRICS else 0
        k = (c.metric, subject, c.window, c.n, c.skill, since, anchor, least)
        m = cache.get(k)
        if m is None:
            m = self.metrics.measure(
                c.metric,
                subject,
                window=c.window,
                n=c.n,
                skill=c.skill,
                now=now,
                since=since,
                anchor=anchor,
                min_count=least,
            )
            cache[k] = m
        return m

    def _bind(
        self,
        cache: dict[tuple[Any, ...], Measure],
        key: Key,
        group: int | None,
        now: float,
        since: int = 0,
        anchor: int | None = None,
    ) -> MeasureFn:
        def measure(c: Condition) -> Measure:
            return self._measure(cache, key, group, c, now, since, anchor)

        return measure

    def _since(self, rule: Rule, group: int | None, student: int | None) -> int:
        """The first question position the rule may read for this subject: after the group's
        latest check-in and the latest dismissal of the rule's family for the subject."""
        checkin = self.heard.get(group, 0) if group is not None else 0
        return max(checkin, self.heard_kin.get((rule.kin, group, student), 0))

    def _outcome(
        self,
        cache: dict[tuple[Any, ...], Measure],
        rule: Rule,
        key: Key,
        group: int | None,
        student: int | None,
        now: float,
        *,
        full: bool,
    ) -> Outcome:
        """``rule`` on one subject, on what the teacher has not heard yet: after a check-in or
        a dismissal nothing is raised before a question asked since then has closed."""
        since = self._since(rule, group, student)
        o = evaluate(rule, self._bind(cache, key, group, now, since), full=full)
        if o.raises and (
            (since and not self.metrics.closed_since(since))
            or (group is not None and (rule.name, group) in self.quiet)
        ):
            o.raises = False
        return o

    def _sticky(
        self, cache: dict[tuple[Any, ...], Measure], rule: Rule, key: Key, ident: FlagId, now: float
    ) -> Outcome:
        """An open flag of a sticky rule, on its own question: it keeps while that question's
        evidence keeps and the group has not shown the trouble fixed (``until``)."""
        anchor = _anchor(ident.key)
        since = self._since(rule, ident.group, ident.student)
        measure = self._bind(cache, key, ident.group, now, since, anchor)
        o = evaluate(rule, measure, full=True)
        fixed = all(c.holds(measure(c)) for c in rule.until)
        return Outcome(
            False, o.keeps and o.key == ident.key and not fixed, o.key, o.evidence, fixed
        )

    def outcomes(self, now: float, *, full: bool = True) -> dict[FlagId, Outcome]:
        """Every rule on every subject, by identity, and every open sticky flag on its own
        question (for tests and from-scratch comparisons)."""
        cache: dict[tuple[Any, ...], Measure] = {}
        out: dict[FlagId, Outcome] = {}
        for rule in self.rules:
            for key, group, student in self.subjects(rule.scope):
                o = self._outcome(cache, rule, key, group, student, now, full=full)
                out[FlagId(rule.name, group, student, o.key)] = o
        for ident in self.open:
            sticky = self._by_name.get(ident.rule)
            where = _subject_key(ident)
            if sticky is not None and sticky.sticky and where is not None:
                out[ident] = self._sticky(cache, sticky, where, ident, now)
        return out

    def decide(self, now: float) -> list[Decision]:
        """What to raise, update and resolve now. Applying the resulting flag events (in the
        shell, with ids) brings ``open`` up to date.

        Only what may have changed since the last decision is evaluated: the subjects an answer
        touched (the student, the group, the class), rules that read the class or the clock,
        and everything after any other event. The property tests hold this equal to evaluating
        everything."""
        if self._ended:
            self._checkins.clear()
            return [Resolve(f.id, "session.ended") for f in self.open.values()]
        out: list[Decision] = []
        gone: set[FlagId] = set()
        for visited, seq in self._checkins:
            # a check-in resolves what was open when it started (a replayed log already did)
            members = set(self.context.members.get(visited, ()))
            for ident, f in self.open.items():
                if (ident.group == visited or ident.student in members) and f.raised_seq < seq:
                    if ident not in gone:
                        out.append(Resolve(f.id, "checkin"))
                    gone.add(ident)
        self._checkins.clear()
        cache: dict[tuple[Any, ...], Measure] = {}
        open_by_subject: dict[tuple[str, int | None, int | None], list[OpenFlag]] = {}
        for ident, f in self.open.items():
            if ident not in gone:
                open_by_subject.setdefault((ident.rule, ident.group, ident.student), []).append(f)
        families: dict[tuple[str, int | None, int | None], str] = {}
        raises: list[tuple[Rule, Key, int | None, int | None, Outcome]] = []
        dirty, everything = self._dirty, self._dirty_all
        self._dirty, self._dirty_all = set(), False
        static_fail = self._static_fail
        touched: dict[str, list[tuple[Key, int | None, int | None]]] = {}
        for rule in self.rules:
            reads_class, reads_clock = self._reads[rule.name]
            static = self._static[rule.name]
            # a note of progress may stand again whenever a group's last call goes: read them all
            moved = reads_clock or (reads_class and CLASS in dirty) or rule.action != "check-in"
            subjects = self.subjects(rule.scope)
            if not everything and not moved:
                # only the subjects that changed (a family's rules all see the same ones)
                few = touched.get(rule.scope)
                if few is None:
                    few = touched[rule.scope] = [
                        t
                        for t in subjects
                        if t[0] in dirty or (t[1] is not None and group_key(t[1]) in dirty)
                    ]
                subjects = few
            for key, group, student in subjects:
                flags = open_by_subject.get((rule.name, group, student))
                mine = (
                    everything or key in dirty or (group is not None and group_key(group) in dirty)
                )
                if not mine and not flags and static_fail.get((rule.name, key)):
                    # the class or the clock moved, but the conditions on the subject alone
                    # (unchanged) fail: it cannot hold
                    continue
                if mine and (reads_class or reads_clock) and static:
                    measure = self._bind(cache, key, group, now, self._since(rule, group, student))
                    static_fail[(rule.name, key)] = not all(c.holds(measure(c)) for c in static)
                o = self._outcome(
                    cache, rule, key, group, student, now, full=bool(flags) and not rule.sticky
                )
                for f in flags or ():
                    if rule.sticky:
                        s = self._sticky(cache, rule, key, f.ident, now)
                        if s.keeps:
                            changed = self._describe(rule, group, student, s)
                            if changed[1] != f.message or rule.severity != f.severity:
                                out.append(Update(f.id, rule.severity, changed[1], changed[0]))
                        else:
                            out.append(Resolve(f.id, "fixed" if s.fixed else "cleared"))
                    elif f.ident.key == o.key and o.keeps:
                        if rule.family:
                            families[(rule.family, group, student)] = rule.name
                        changed = self._describe(rule, group, student, o)
                        if changed[1] != f.message or rule.severity != f.severity:
                            out.append(Update(f.id, rule.severity, changed[1], changed[0]))
                    else:
                        out.append(Resolve(f.id, "cleared"))
                if not o.raises:
                    continue
                ident = FlagId(rule.name, group, student, o.key)
                if ident in self.snoozed or ident in gone:
                    continue
                if not any(f.ident == ident for f in flags or ()):
                    raises.append((rule, key, group, student, o))
        valid = self._valid()
        for where, flags in open_by_subject.items():
            if where not in valid:  # the subject or the rule is gone
                out.extend(Resolve(f.id, "cleared") for f in flags)
        chosen: list[tuple[Rule, int | None, int | None, Outcome]] = []
        for rule, _key, group, student, o in raises:
            if rule.family:
                holder = families.get((rule.family, group, student))
                if holder is not None and holder != rule.name:
                    continue
                families[(rule.family, group, student)] = rule.name
            chosen.append((rule, group, student, o))
        # one call per group: no note of progress beside a call to check in
        going = {d.flag for d in out if isinstance(d, Resolve)}
        calling = {
            f.ident.group
            for f in self.open.values()
            if f.action == "check-in" and f.id not in going and f.ident.group is not None
        } | {group for rule, group, _, _ in chosen if rule.action == "check-in"}
        for f in self.open.values():
            if f.action != "check-in" and f.id not in going and f.ident.group in calling:
                out.append(Resolve(f.id, "superseded"))
        for rule, group, student, o in chosen:
            if rule.action != "check-in" and group in calling:
                continue
            evidence, message = self._describe(rule, group, student, o)
            out.append(
                Raise(
                    FlagId(rule.name, group, student, o.key),
                    rule.scope,
                    rule.severity,
                    message,
                    evidence,
                    rule.action,
                )
            )
        return out

    def tick(self, now: float) -> list[Decision]:
        """What the passing of time alone changed by ``now``: the shell calls this in a quiet
        spell, when no event has come to make it ``decide``.

        With nothing applied since the last decision only the rules that read the clock
        (``checkin-overdue``, ``low-response`` ...) are evaluated, on the subjects whose own
        conditions may hold; whatever was applied and not yet decided on is decided as well. So
        the result is ``decide(now)``'s, and equals a from-scratch evaluation at ``now`` (the
        property tests hold it to that)."""
        return self.decide(now)

    @property
    def ended(self) -> bool:
        """Whether the log holds ``session.ended`` (nothing is raised after it)."""
        return self._ended

    def _valid(self) -> set[tuple[str, int | None, int | None]]:
        if self._valid_subjects is None:
            self._valid_subjects = {
                (r.name, group, student)
                for r in self.rules
                for _, group, student in self.subjects(r.scope)
            }
        return self._valid_subjects

    def dismiss(self, flag: int) -> Resolve | None:
        """The decision to dismiss open flag ``flag``; None when it is not open."""
        ident = self.by_id.get(flag)
        return None if ident is None or ident not in self.open else Resolve(flag, "dismissed")

    def _describe(
        self, rule: Rule, group: int | None, student: int | None, o: Outcome
    ) -> tuple[dict[str, Any], str]:
        g = self.context.groups.get(group) if group is not None else None
        subject: dict[str, Any] = {
            "group": g.name if g is not None else "no group",
            "goal": (g.goal if g is not None else "") or "no goal yet",
            "skill": (g.skill if g is not None else None) or "no skill set",
        }
        if student is not None:
            card = self.context.cards.get(student)
            subject["card"] = card if card is not None else f"student {student}"
        values = template_values(o.evidence, subject)
        message = render(rule.message, values)
        move = render(rule.move, values) if rule.move else ""
        evidence: dict[str, Any] = {"conditions": o.evidence, "move": move}
        if o.key is not None:
            evidence["key"] = o.key
        return evidence, f"{message} {move}".strip()


def _reads(rule: Rule) -> tuple[bool, bool]:
    """Whether ``rule`` reads the class (so any answer may change it) and the clock."""
    reads_class = any(c.of == "class" or c.metric in CLASS_METRICS for c in rule.when)
    return reads_class, any(c.metric in CLOCK_METRICS for c in rule.when)


def _anchor(key: str | None) -> int | None:
    """The asked id of an evidence key ``asked:<id>``."""
    if key is None or not key.startswith("asked:"):
        return None
    try:
        return int(key.removeprefix("asked:"))
    except ValueError:
        return None


def _subject_key(ident: FlagId) -> Key | None:
    if ident.student is not None:
        return student_key(ident.student)
    return group_key(ident.group) if ident.group is not None else None
