"""Request bodies: each declared once, as a pydantic model that checks it and describes it.

A model is both the parser and the JSON Schema the OpenAPI document shows (``schema``), so a
value the schema allows is a value the server takes, and a value it refuses is described there
(bounds, ``minLength``, ``pattern``, ``maxItems``, ``uniqueItems``). ``parse`` reads the raw
bytes of a request (pydantic's JSON parser: at most 200 levels deep, no lone surrogates) and
returns a plain dict of the fields that were sent, or raises ``BadRequest`` with a message that
names the field and says why.

Conventions: the models are strict (``"3"`` is not a number, ``1`` is not ``true``), a whole
number may be written ``3`` or ``3.0`` (JSON Schema's ``integer``), unknown fields are refused,
names and texts follow ``live.text`` and are stripped of white space at their ends once valid.
A partial update (PATCH) must change something (``minProperties: 1``). Rules the store checks
against what it holds (an unknown id, a card already taken) answer 404 or 409, never 400.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pydantic_core import ErrorDetails

from live.errors import BadRequest
from live.ids import MAX_ID
from live.text import (
    NAME_PATTERN,
    OPTIONAL_EMAIL_PATTERN,
    OPTIONAL_NAME_PATTERN,
    OPTIONAL_TEXT_PATTERN,
    TEXT_PATTERN,
    name_problem,
)

__all__ = [
    "Answer",
    "Ask",
    "Body",
    "CheckinEnd",
    "CheckinStart",
    "ClassBody",
    "ClassPatch",
    "GoalStep",
    "GroupBody",
    "GroupPatch",
    "GroupPlan",
    "Grouping",
    "LiveSession",
    "Patch",
    "Placement",
    "ProgressionBody",
    "ProgressionPatch",
    "QuestionBody",
    "QuestionPatch",
    "QuestionSetBody",
    "QuestionSetPatch",
    "RulesBody",
    "SessionBody",
    "SessionPatch",
    "StepGrouping",
    "StudentBody",
    "StudentPatch",
    "parse",
    "schema",
    "validate",
]

MAX_CARD = 64
ABSENT: Any = None
"""The default of a field that is left out when not sent (``parse`` returns the fields sent)."""
ANSWERS = ("A", "B", "C", "D")


def _whole(value: Any) -> Any:
    """3.0 is the integer 3 in JSON Schema; any other float stays a float and is refused."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _strip(value: str) -> str:
    return value.strip()


Id = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(_whole)]
Card = Annotated[int, Field(ge=1, le=MAX_CARD), BeforeValidator(_whole)]
Letter = Literal["A", "B", "C", "D"]


def _line(max_len: int) -> Any:
    return Field(min_length=1, max_length=max_len, pattern=NAME_PATTERN)


# Names: one line, not blank (live.text), 1 to N characters.
Name32 = Annotated[str, _line(32), AfterValidator(_strip)]
Name100 = Annotated[str, _line(100), AfterValidator(_strip)]
Name200 = Annotated[str, _line(200), AfterValidator(_strip)]
Name500 = Annotated[str, _line(500), AfterValidator(_strip)]
# Texts: lines of text; a prompt may not be blank, a note or a goal may be empty.
Prompt = Annotated[
    str, Field(min_length=1, max_length=2000, pattern=TEXT_PATTERN), AfterValidator(_strip)
]
# A skill tag: one line, may be empty (no tag).
SkillTag = Annotated[
    str, Field(max_length=100, pattern=OPTIONAL_NAME_PATTERN), AfterValidator(_strip)
]
Note500 = Annotated[
    str, Field(max_length=500, pattern=OPTIONAL_TEXT_PATTERN), AfterValidator(_strip)
]
Note2000 = Annotated[
    str, Field(max_length=2000, pattern=OPTIONAL_TEXT_PATTERN), AfterValidator(_strip)
]
# The school's student ID: one line, up to 64 characters; empty for none.
SchoolId = Annotated[
    str, Field(max_length=64, pattern=OPTIONAL_NAME_PATTERN), AfterValidator(_strip)
]


# An email address (live.text's pattern: name, @, a domain with a dot); empty for none.
Email = Annotated[str, Field(max_length=254, pattern=OPTIONAL_EMAIL_PATTERN)]
Choices = Annotated[list[Name500], Field(min_length=2, max_length=4)]
Skills = Annotated[list[Name100], Field(max_length=20)]


def _distinct(ids: list[int]) -> list[int]:
    if len(set(ids)) != len(ids):
        raise ValueError("lists an id twice")
    return ids


# Distinct ids (the students of a group).
StudentIds = Annotated[
    list[Id],
    Field(max_length=500, json_schema_extra={"uniqueItems": True}),
    AfterValidator(_distinct),
]
QuestionIds = Annotated[list[Id], Field(max_length=200)]


def _tidy(schema: dict[str, Any]) -> None:
    """No titles or defaults on properties: a default here means 'not sent', never a value."""
    for prop in schema.get("properties", {}).values():
        prop.pop("title", None)
        prop.pop("default", None)


def _tidy_patch(schema: dict[str, Any]) -> None:
    _tidy(schema)
    schema["minProperties"] = 1


class Body(BaseModel):
    """A JSON object body."""

    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra=_tidy)


class Patch(Body):
    """A partial update: every field optional (``ABSENT``: not sent, never null), at least
    one sent."""

    model_config = ConfigDict(json_schema_extra=_tidy_patch)

    @model_validator(mode="after")
    def _changes_something(self) -> Patch:
        if not self.model_fields_set:
            raise ValueError(f"nothing to change; send one of {', '.join(type(self).model_fields)}")
        return self


# -- the bodies ----------------------------------------------------------------------------


class ClassBody(Body):
    name: Name200
    archived: bool = False


class ClassPatch(Patch):
    name: Name200 = ABSENT
    archived: bool = ABSENT


class StudentBody(Body):
    name: Name200
    card: Card | None = Field(ABSENT, description="1-64; the next free card if absent or null")
    active: bool = True
    school_id: SchoolId = Field(
        ABSENT, description="the school's student ID (unique in the class); empty for none"
    )
    email: Email = Field(ABSENT, description="the student's email; empty for none")


class StudentPatch(Patch):
    """A card may change but not become null: archive the student to free it. An empty
    ``school_id`` or ``email`` clears it."""

    name: Name200 = ABSENT
    card: Card = ABSENT
    active: bool = ABSENT
    school_id: SchoolId = ABSENT
    email: Email = ABSENT


class GroupBody(Body):
    name: Name100
    students: StudentIds = []
    colour: Name32 = Field(ABSENT, description="the group's colour; one is picked if absent")
    goal: Note500 = ""
    skill: SkillTag = Field("", description="the skill tag the goal is about")


class GroupPatch(Patch):
    name: Name100 = ABSENT
    students: StudentIds = ABSENT
    colour: Name32 = ABSENT
    goal: Note500 = ABSENT
    skill: SkillTag = ABSENT


class QuestionBody(Body):
    """``correct`` names one of the choices (C needs three, D four), or null for a poll."""

    prompt: Prompt
    choices: Choices
    correct: Letter | None = Field(description="the right choice's letter; null for a poll")
    skills: Skills = []
    archived: bool = False
    step_id: Id | None = Field(ABSENT, description="the step of a progression it measures")

    model_config = ConfigDict(json_schema_extra=lambda s: _tidy_question(s))

    @model_validator(mode="after")
    def _correct_is_a_choice(self) -> QuestionBody:
        if self.correct is not None and ANSWERS.index(self.correct) >= len(self.choices):
            raise ValueError(
                f"correct answer {self.correct} is not one of the {len(self.choices)} choices"
            )
        return self


def _tidy_question(schema: dict[str, Any]) -> None:
    """The schema's form of ``_correct_is_a_choice``: a poll, A or B with any choices, C with
    three or more, D with four."""
    _tidy(schema)
    schema["anyOf"] = [
        {"properties": {"correct": {"enum": [None, "A", "B"]}}},
        {"properties": {"correct": {"const": "C"}, "choices": {"minItems": 3}}},
        {"properties": {"correct": {"const": "D"}, "choices": {"minItems": 4}}},
    ]


class QuestionPatch(Patch):
    """Checked against the stored question: a correct answer outside its choices is a 409."""

    prompt: Prompt = ABSENT
    choices: Choices = ABSENT
    correct: Letter | None = Field(ABSENT, description="null makes it a poll")
    skills: Skills = ABSENT
    archived: bool = ABSENT
    step_id: Id | None = Field(ABSENT, description="the step it measures; null for none")


class QuestionSetBody(Body):
    name: Name200
    questions: QuestionIds


class QuestionSetPatch(Patch):
    name: Name200 = ABSENT
    questions: QuestionIds = ABSENT


class SessionBody(Body):
    class_id: Id
    set_id: Id | None = None


class SessionPatch(Body):
    show_names: bool


class LiveSession(Body):
    """The session a class's projector link shows."""

    session_id: Id | None = Field(description="a running session of the class; null clears it")


class Ask(Body):
    question_id: Id


class Answer(Body):
    answer: Letter


class CheckinStart(Body):
    group_id: Id


class CheckinEnd(Body):
    note: Note2000 = ""
    goal: Note500 = Field("", description="the goal agreed; becomes the group's goal")
    next_step: Note500 = ""


class RulesBody(Body):
    toml: Annotated[str, Field(max_length=50_000, description="TOML; empty for the defaults")]


class GroupPlan(Body):
    """One group to keep or create when accepting a grouping suggestion."""

    id: Id = Field(ABSENT, description="an existing group of the class to update")
    name: Name100
    students: Annotated[StudentIds, Field(max_length=200)]
    skill: SkillTag = ""
    goal: Note500 = ""


class Grouping(Body):
    """Groups with the same name, or a student in two groups, conflict (409)."""

    groups: Annotated[list[GroupPlan], Field(min_length=1, max_length=64)]
    archive_others: bool = False


class Step(Body):
    """One step of a progression; ``id`` keeps an existing step (and what points at it)."""

    id: Id = Field(ABSENT, description="a step of this progression to keep, when editing")
    name: Name200
    description: Note2000 = ""
    prompts: Annotated[list[Name500], Field(max_length=12)] = []


Steps = Annotated[list[Step], Field(min_length=1, max_length=30)]


class ProgressionBody(Body):
    """A skill progression: its steps in order, the first step first."""

    name: Name200
    subject: Annotated[str, Field(max_length=100, pattern=OPTIONAL_NAME_PATTERN)] = ""
    description: Note2000 = ""
    steps: Steps


class ProgressionPatch(Patch):
    """``steps`` replaces the whole list: steps sent with their ``id`` are kept, steps left
    out are removed (a 409 when a question, placement or goal points at one)."""

    name: Name200 = ABSENT
    subject: Annotated[str, Field(max_length=100, pattern=OPTIONAL_NAME_PATTERN)] = ABSENT
    description: Note2000 = ABSENT
    archived: bool = ABSENT
    steps: Steps = ABSENT


class Placement(Body):
    """The teacher's word on where a student stands on a progression."""

    progression_id: Id
    step_id: Id | None = Field(description="a step of the progression; null: not yet on step 1")
    kind: Literal["confirmed", "observed", "conference"] = Field(
        description="confirmed (the estimate), observed (in class) or conference (one-to-one)"
    )
    note: Note2000 = ""


class GoalStep(Body):
    """A step of a progression as a group's goal."""

    step_id: Id


class StepGroupPlan(Body):
    """One group of a grouping by step: created, or updated when the class has a group of
    that name; its goal is ``goal_step_id`` (null: no step goal)."""

    name: Name100
    students: Annotated[StudentIds, Field(max_length=200)]
    goal_step_id: Id | None = Field(ABSENT, description="default: the step after its members'")


class StepGrouping(Body):
    """Groups with the same name, or a student in two groups, conflict (409)."""

    groups: Annotated[list[StepGroupPlan], Field(min_length=1, max_length=64)]
    archive_others: bool = False


def validate(model: type[Body], value: Any) -> dict[str, Any]:
    """``value`` (a dict read from a file) checked like a JSON body of ``model``: the fields
    given, or ``BadRequest`` naming each problem."""
    try:
        checked = model.model_validate(value)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=True)
        message = "; ".join(_message(model, e) for e in errors[:_FIELDS_SHOWN])
        if len(errors) > _FIELDS_SHOWN:
            message += f"; and {len(errors) - _FIELDS_SHOWN} more"
        raise BadRequest(message) from None
    return checked.model_dump(exclude_unset=True)


# -- parsing -------------------------------------------------------------------------------

_FIELDS_SHOWN = 3


def parse(model: type[Body], raw: bytes) -> dict[str, Any]:
    """The fields sent in ``raw`` (a JSON object), checked; ``BadRequest`` otherwise.

    Nested models come back as dicts too; fields not sent are absent (handlers use ``.get``).
    """
    if not raw.strip():
        raise BadRequest("a JSON object body is required", code="invalid_json")
    try:
        value = model.model_validate_json(raw)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=True)
        first = errors[0]
        if first["type"] == "json_invalid":
            raise BadRequest(_json_message(first), code="invalid_json") from None
        message = "; ".join(_message(model, e) for e in errors[:_FIELDS_SHOWN])
        if len(errors) > _FIELDS_SHOWN:
            message += f"; and {len(errors) - _FIELDS_SHOWN} more"
        raise BadRequest(message) from None
    return value.model_dump(exclude_unset=True)


def schema(model: type[Body]) -> dict[str, Any]:
    """The JSON Schema of ``model``, as the OpenAPI document shows it."""
    return model.model_json_schema(ref_template="#/components/schemas/{model}")


def _json_message(error: ErrorDetails) -> str:
    detail = str((error.get("ctx") or {}).get("error", "malformed"))
    if "recursion limit" in detail:
        return "the body is nested too deeply (JSON may nest at most 200 levels)"
    if "hex escape" in detail or "code point" in detail:
        return f"the body is not valid JSON: a string holds a lone surrogate ({detail})"
    return f"the body is not valid JSON: {detail}"


def _where(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _message(model: type[Body], error: ErrorDetails) -> str:
    """One validation error in words a person can act on."""
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    field = _where(loc) or "the body"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"{field} must be a JSON object" if loc else "the body must be a JSON object"
    if kind == "missing":
        return f"{field} is required"
    if kind == "extra_forbidden":
        fields = _model_at(model, loc[:-1]).model_fields
        return f"unknown field {str(loc[-1])!r}; expected {', '.join(fields)}"
    if value is None and kind.endswith("_type"):
        return f"{field} may not be null"
    if kind.startswith("int") or kind == "float_type":
        return f"{field} must be a whole number"
    if kind == "greater_than_equal":
        return f"{field} must be at least {ctx.get('ge')}"
    if kind == "less_than_equal":
        return f"{field} must be at most {ctx.get('le')}"
    if kind in ("string_type", "str_type"):
        return f"{field} must be a string"
    if kind == "string_too_short":
        return f"{field} must not be empty"
    if kind == "string_too_long":
        return f"{field} must be at most {ctx.get('max_length')} characters"
    if kind == "string_pattern_mismatch":
        problem = name_problem(value) if isinstance(value, str) else None
        if problem is None and isinstance(value, str) and value.strip():
            problem = "contains a control character"
        return f"{field} {problem or 'is blank'}"
    if kind == "bool_type":
        return f"{field} must be true or false"
    if kind == "literal_error":
        return f"{field} must be one of {ctx.get('expected', 'A, B, C, D')}".replace("'", "")
    if kind == "list_type":
        return f"{field} must be a list"
    if kind in ("too_short", "too_long"):
        low, high = ctx.get("min_length", 0), ctx.get("max_length")
        if kind == "too_long":
            return f"{field} may have at most {high} items"
        return f"{field} needs at least {low} items"
    if kind == "value_error":
        reason = str(ctx.get("error", error["msg"]))
        return f"{field} {reason}" if loc else reason
    return f"{field}: {error['msg']}"


def _model_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> type[BaseModel]:
    """The model (``model`` or one nested in it) whose field list ``loc`` points into."""
    for part in loc:
        if isinstance(part, int) or part not in model.model_fields:
            continue
        annotation = model.model_fields[part].annotation
        while get_origin(annotation) is not None:  # list[GroupPlan] -> GroupPlan
            annotation = get_args(annotation)[0]
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
    return model


# -- accounts (live.http.accounts_api) ------------------------------------------------------

Username = Annotated[
    str,
    Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"),
    AfterValidator(str.lower),
]
Password = Annotated[str, Field(min_length=1, max_length=1024)]
NewPassword = Annotated[str, Field(min_length=8, max_length=1024)]


class LoginBody(Body):
    username: Annotated[str, Field(min_length=1, max_length=200)]
    password: Password


class UserBody(Body):
    username: Username
    display_name: Name200 = Field(ABSENT, description="the name others see; the username if absent")
    role: Literal["teacher", "admin"] = "teacher"
    password: NewPassword


class UserPatch(Patch):
    display_name: Name200 = ABSENT
    role: Literal["teacher", "admin"] = ABSENT
    disabled: bool = ABSENT


class PasswordBody(Body):
    password: NewPassword
    current: Password = Field(ABSENT, description="your current password (required for your own)")


class TokenBody(Body):
    name: Name100


class TeacherBody(Body):
    username: Username


class OwnerBody(Body):
    username: Username


class PairBody(Body):
    code: Annotated[str, Field(min_length=1, max_length=200)]
