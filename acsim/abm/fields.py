"""The parameter schema's building blocks: constrained field types and the one message format.

Every parameter acsim takes (``ModelParams`` from Python, a scenario file, a dashboard
control, a CLI option) is checked by pydantic against these types, and every failure
reads the same way, one line: ``<where><field> = <value> <problem>``, e.g.
``scenarios/x.toml: population.gamma = 1.3 is outside [0, 1]`` or
``n_workers = 0 is outside [1, 10000000]``. Ranges are declared once, as ``Range(lo, hi)``
annotations, like scikit-learn's ``_parameter_constraints`` table: the interval text of a
message, the dashboard's bounds and the CLI's checks all come from the same annotation.
"""

from __future__ import annotations

import difflib
import json
import math
from typing import Annotated, Any, Callable, Union, get_args, get_origin

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError
from pydantic_core import PydanticCustomError


class ParamError(ValueError):
    """An invalid parameter: one line naming where, the field, the value and what is allowed.

    ``errors`` keeps pydantic's structured errors (field paths as tuples), so a caller
    that knows the field under another name (a scenario file) can say it in its words.
    """

    def __init__(self, message: str, errors: list[dict] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []


def interval(lo: float, hi: float, lo_open: bool = False, hi_open: bool = False, inf_closed: bool = False) -> str:
    """``[lo, hi]`` with the right brackets, as every message writes a range."""

    def f(v: float) -> str:
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return str(int(v)) if v == int(v) and abs(v) >= 1e4 else f"{v:g}"

    closed_hi = not hi_open and (inf_closed or not math.isinf(hi))  # [0, inf] when inf itself is allowed
    return f"{'(' if lo_open or math.isinf(lo) else '['}{f(lo)}, {f(hi)}{']' if closed_hi else ')'}"


def bad(msg: str, sub: str | None = None, value: Any = None, has_value: bool = False) -> PydanticCustomError:
    """A schema error in acsim's words; ``sub`` names the exact sub-field, ``value`` what it held."""
    return PydanticCustomError("acsim", "{msg}", {"msg": msg, "sub": sub, "value": value, "has_value": has_value})


def unknown(allowed: Any) -> PydanticCustomError:
    """An unknown key inside a table whose keys the schema knows only at check time (``allowed``)."""
    return PydanticCustomError("acsim", "{msg}", {"msg": "", "unknown": ", ".join(allowed) or "none"})


class Range:
    """A numeric range ``[lo, hi]`` (open ends as asked) as a pydantic annotation; readable for bounds."""

    def __init__(self, lo: float = -math.inf, hi: float = math.inf, *, lo_open: bool = False, hi_open: bool = False,
                 allow_inf: bool = False) -> None:
        self.lo, self.hi, self.lo_open, self.hi_open, self.allow_inf = lo, hi, lo_open, hi_open, allow_inf

    def contains(self, v: Any) -> bool:
        x = float(v)
        finite_ok = math.isfinite(x) or (self.allow_inf and x == math.inf)
        return finite_ok and (x > self.lo if self.lo_open else x >= self.lo) and (x < self.hi if self.hi_open else x <= self.hi)

    @property
    def text(self) -> str:
        return interval(self.lo, self.hi, self.lo_open, self.hi_open, self.allow_inf)

    def problem(self) -> str:
        if math.isinf(self.lo) and math.isinf(self.hi):
            return "must be a finite number"
        return f"is outside {self.text}"

    def __get_pydantic_core_schema__(self, source: Any, handler: Callable) -> Any:
        from pydantic_core import core_schema

        def check(v: Any) -> Any:
            if not self.contains(v):
                raise bad(self.problem())
            return v

        return core_schema.no_info_after_validator_function(check, handler(source))


def range_of(field: Any) -> Range | None:
    """The :class:`Range` declared on a model field (a pydantic FieldInfo; through Optional too), if any."""
    for m in getattr(field, "metadata", ()):
        if isinstance(m, Range):
            return m
    tp = unwrap_optional(getattr(field, "annotation", field))
    if get_origin(tp) is Annotated:
        return next((a for a in get_args(tp) if isinstance(a, Range)), None)
    return None


def unwrap_optional(tp: Any) -> Any:
    if get_origin(tp) is Union:
        args = [a for a in get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return tp


Unit = Annotated[float, Range(0.0, 1.0)]
NonNeg = Annotated[float, Range(0.0)]
Eps = Annotated[float, Range(0.0, 0.5, hi_open=True)]
OpenUnit = Annotated[float, Range(0.0, 1.0, lo_open=True)]  # (0, 1]
PosInt = Annotated[int, Range(1)]
NonNegInt = Annotated[int, Range(0)]
Finite = Annotated[float, Range()]


def _word(v: str) -> str:
    if not v.strip() or any(c.isspace() for c in v):
        raise bad("must be a non-empty word without spaces")
    return v


Word = Annotated[str, AfterValidator(_word)]


class Strict(BaseModel):
    """A schema section: unknown keys are errors; "1000" is not a number and 2.0 is not an integer."""

    model_config = ConfigDict(extra="forbid", strict=True, validate_default=True)


# --------------------------------------------------------------------------- the message


def show(v: Any) -> str:
    """A value as a message shows it (TOML-like: true, inf, "text")."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return "inf" if v == math.inf else f"{v:g}"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (list, dict, tuple)):
        s = json.dumps(v, ensure_ascii=False, default=str)
        return s if len(s) <= 60 else s[:57] + "..."
    return repr(v)


def raw_at(raw: Any, loc: tuple) -> tuple[tuple, Any, bool]:
    """The deepest prefix of ``loc`` present in the raw input, its value, and whether all of loc was found.

    A shorthand (``gamma = 0.5`` for a constant distribution) stops the walk early, so
    the message names the key the user actually wrote.
    """
    cur, path = raw, ()
    for part in loc:
        if isinstance(cur, dict) and part in cur:
            cur, path = cur[part], path + (part,)
        elif isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
            cur, path = cur[part], path + (part,)
        else:
            return path, cur, False
    return path, cur, True


def _section_at(root: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    """The schema section that lives at ``loc`` (to list the allowed keys for a typo)."""
    model: Any = root
    for part in loc:
        if not (isinstance(model, type) and issubclass(model, BaseModel)) or part not in model.model_fields:
            return None
        model = base_type(model.model_fields[part].annotation)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def base_type(tp: Any) -> Any:
    """A field's type without Annotated and Optional (``int`` for ``Optional[PosInt]``)."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin is Union:
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp


_TYPE_WORDS = {
    "float_type": "a number", "float_parsing": "a number", "int_type": "an integer", "int_parsing": "an integer",
    "int_from_float": "an integer", "bool_type": "true or false", "string_type": "a string",
    "list_type": "a list", "dict_type": "a table", "model_type": "a table", "model_attributes_type": "a table",
    "finite_number": "a finite number",
}


def problem(err: dict) -> str:
    """What is wrong, in acsim's words, for one pydantic error (without the field and value)."""
    typ, ctx = err["type"], err.get("ctx") or {}
    if typ == "acsim":
        return ctx["msg"]
    if typ == "literal_error":
        return f"must be one of {ctx.get('expected', '').replace(' or ', ', ')}"
    if typ == "missing":
        return "is required"
    if typ in _TYPE_WORDS:
        return f"must be {_TYPE_WORDS[typ]}"
    return err["msg"][0].lower() + err["msg"][1:]


def dotted(parts: tuple) -> str:
    return ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in parts).replace(".[", "[")


class _Names(dict):
    """``{field}`` in a message → that field's name for the reader (a scenario says ``collective.initial_alpha``)."""

    def __init__(self, name: Callable[[str], str] | None) -> None:
        super().__init__()
        self.name = name or (lambda f: f)

    def __missing__(self, key: str) -> str:
        return self.name(key)


def message(err: dict, raw: Any, where: str, root: type[BaseModel], name: Callable[[str], str] | None = None) -> str:
    """One pydantic error as acsim's one line (``where`` names the file, ``raw`` is what was given).

    A message may name other fields as ``{field}``; ``name`` says how the reader knows them.
    """
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith(("function-", "constrained-"))))
    typ, ctx = err["type"], err.get("ctx") or {}
    if typ == "extra_forbidden":
        model = _section_at(root, loc[:-1])
        hint = ""
        if model is not None:
            allowed = list(model.model_fields)
            close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
            hint = (f" (did you mean {close[0]!r}? allowed: " if close else " (allowed: ") + ", ".join(allowed) + ")"
        return f"{where}unknown key {dotted(loc)}{hint}"
    if typ == "missing":
        return f"{where}{dotted(loc)} is required"
    prefix, rawval, found = raw_at(raw, loc)
    # A shorthand (gamma = 1.3, network = "x") is named as written, not as its expanded table.
    shorthand = not found and prefix and not isinstance(rawval, (dict, list))
    if typ == "acsim" and "unknown" in ctx:
        close = difflib.get_close_matches(str(loc[-1]), ctx["unknown"].split(", "), n=1)
        return f"{where}unknown key {dotted(loc)} ({f'did you mean {close[0]!r}? ' if close else ''}allowed: {ctx['unknown']})"
    if typ == "acsim":
        msg, sub = ctx["msg"].format_map(_Names(name)), ctx.get("sub")
        if found and not isinstance(rawval, dict):
            shown, value, has = loc, rawval, True
        elif shorthand:
            shown, value, has = prefix, rawval, True
        else:
            shown = loc + ((sub,) if sub is not None else ())
            has = bool(ctx.get("has_value"))
            value = ctx.get("value")
            if not has and sub is not None:
                _, value, has = raw_at(raw, shown)
    else:
        msg = problem(err)
        shown = prefix if shorthand else loc
        value, has = (rawval, True) if shorthand else (err.get("input"), "input" in err)
    if not shown:
        return f"{where}{msg}"
    if not has:
        return f"{where}{dotted(shown)} {msg}"
    return f"{where}{dotted(shown)} = {show(value)} {msg}"


def first_message(exc: ValidationError | list[dict], raw: Any, where: str, root: type[BaseModel],
                  name: Callable[[str], str] | None = None) -> str:
    """The first problem as one line, and how many more there are."""
    errors = exc.errors() if isinstance(exc, ValidationError) else exc
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    return message(errors[0], raw, where, root, name) + more


def raise_all(errors: list[dict], title: str) -> None:
    """Raise the collected cross-field problems (``{"type": bad(...), "loc": (...)}``) as one ValidationError."""
    if errors:
        raise ValidationError.from_exception_data(title, [{"input": None, **e} for e in errors])  # type: ignore[arg-type]


def as_error(errors: list[dict], title: str = "acsim") -> ParamError | None:
    """Collected problems (``{"type": bad(...), "loc": (...)}``) as one :class:`ParamError`, or None."""
    try:
        raise_all(errors, title)
    except ValidationError as exc:
        return ParamError(first_message(exc, {}, "", BaseModel), exc.errors())
    return None
