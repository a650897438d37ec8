"""Several collectives in the agent-based model, and members who do not all follow the plan.

The first collective is the paper's (``initial_alpha``, ``strategy``, ``target``; the one
the principal carries). ``ModelParams.collectives`` lists further ones (Karan et al.,
"Algorithmic Collective Action with Multiple Collectives", FAccT 2025), collective j = 2,
3, ... each with its own initial share, target, trigger, spacing and strategy; targets may
overlap and two collectives may plant the same trigger. Membership is exclusive
(``WorkerArrays.other`` holds j for a member of collective j ≥ 2, 0 otherwise) and the
join rule runs over all of them (:mod:`acsim.abm.decisions`).

Coordination noise (``coordination`` q, ``noise``): each worker follows its collective's
plan with probability q (drawn once per worker from its own seeded stream, so runs that
differ only in q share every other draw); the others deviate as in the resume
experiments (:func:`acsim.platform.collectives.act`: plant nothing, the trigger at the
wrong spacing, or the next collective's trigger). A firm that only knows S(α) (``theory``,
``bayes``) sees the followers' share: S(α) becomes S(α_followers).

Rows carry, per further collective j, ``alpha_cj``, ``members_cj``, ``S_cj``, ``joins_cj``,
``leaves_cj``, ``alpha_end_cj``, ``members_end_cj`` (:func:`columns`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Optional

import numpy as np
from pydantic import ValidationError

from acsim.abm.fields import NonNegInt, PosInt, Strict, Unit, Word, bad, problem, unknown
from acsim.platform.text import RIVAL_TRIGGER

if TYPE_CHECKING:
    from acsim.abm.decisions import Decision
    from acsim.abm.engines import Measurement
    from acsim.abm.params import ModelParams
    from acsim.abm.workers import WorkerArrays

# Default triggers of collectives 2, 3, 4, 5 (single characters the tokenizers keep as a word);
# a sixth collective names its own.
OTHER_TRIGGERS = (RIVAL_TRIGGER, "\u2020", "\u00a7", "\u00b6")
COLUMNS = ("alpha", "members", "S", "joins", "leaves", "alpha_end", "members_end")
FOLLOW_STREAM = 0x464F4C4C  # "FOLL": the followers' own random stream


class Collective(Strict):
    """A further collective (one entry of ``ModelParams.collectives``); unset fields default per :func:`plans`."""

    initial_alpha: Unit = 0.0
    target: Optional[NonNegInt] = None
    trigger: Optional[Word] = None
    spacing: Optional[PosInt] = None
    strategy: Optional[Literal["feature-label", "feature-only"]] = None


@dataclass(frozen=True)
class Plan:
    """What one collective's members plant: strategy h, target y*, trigger and its spacing."""

    strategy: str
    target: int
    trigger: str
    spacing: int

    def as_tuple(self) -> tuple[str, int, str, int]:
        return self.strategy, self.target, self.trigger, self.spacing


def columns(n_others: int) -> tuple[str, ...]:
    """The row columns of collectives 2 .. n_others + 1."""
    return tuple(f"{c}_c{j}" for j in range(2, n_others + 2) for c in COLUMNS)


def problems(p: "ModelParams") -> list[dict]:
    """Every problem with ``collectives``, ``coordination`` and ``noise`` (ModelParams.problems' format)."""
    errs: list[dict] = []
    total = p.initial_alpha
    for i, entry in enumerate(p.collectives):
        loc = ("collectives", i)
        if not isinstance(entry, dict):
            errs.append({"type": bad("must be a table of initial_alpha, target, trigger, spacing, strategy", value=entry, has_value=True),
                         "loc": loc})
            continue
        try:
            c = Collective(**entry)
        except ValidationError as exc:
            for e in exc.errors():
                t = unknown(sorted(Collective.model_fields)) if e["type"] == "extra_forbidden" else \
                    bad(problem(e), value=e.get("input"), has_value=e["type"] != "missing")
                errs.append({"type": t, "loc": (*loc, *e["loc"])})
            continue
        total += c.initial_alpha
        if total > 1.0 + 1e-12:
            errs.append({"type": bad(f"makes the collectives' initial shares sum to {total:g} > 1 (membership is exclusive)",
                                     value=c.initial_alpha, has_value=True), "loc": (*loc, "initial_alpha")})
        if c.trigger is None and i >= len(OTHER_TRIGGERS):
            errs.append({"type": bad(f"is required from the {len(OTHER_TRIGGERS) + 2}th collective on (defaults: "
                                     f"{', '.join(OTHER_TRIGGERS)})"), "loc": (*loc, "trigger")})
    if p.collectives and p.firm == "bayes":
        errs.append({"type": bad("needs {firm} = 'theory' or a text firm (a discrete world has one signal)"), "loc": ("collectives",)})
    if p.noise != "nothing" and p.coordination < 1.0 and p.firm in ("theory", "bayes"):
        errs.append({"type": bad(f"needs a text firm (bow, encoder, transformer): a stray trigger is a text notion; "
                                 f"{p.firm!r} sees only the followers' share", value=p.noise, has_value=True), "loc": ("noise",)})
    return errs


def entries(p: "ModelParams") -> list[Collective]:
    return [Collective(**e) for e in p.collectives]


def plans(p: "ModelParams", n_classes: int, first: Plan) -> list[Plan]:
    """Every collective's plan, the first's included: a further collective's unset target is
    the class after the previous one's, its trigger OTHER_TRIGGERS[j − 2], its strategy and
    spacing the first collective's."""
    out = [first]
    for i, c in enumerate(entries(p)):
        target = c.target if c.target is not None else (first.target + i + 1) % n_classes
        out.append(Plan(c.strategy or first.strategy, int(target), c.trigger or OTHER_TRIGGERS[i],
                        c.spacing if c.spacing is not None else first.spacing))
    return out


def place(pop: "WorkerArrays", p: "ModelParams", rng: np.random.Generator) -> None:
    """The further collectives' initial members: random workers outside every earlier collective."""
    for j, c in enumerate(entries(p), start=2):
        k = int(round(c.initial_alpha * pop.n))
        free = np.flatnonzero(~pop.member & (pop.other == 0))
        if k:
            pop.other[rng.choice(free, size=min(k, free.size), replace=False)] = j


def draw_follows(p: "ModelParams", seed: int, n: int) -> np.ndarray | None:
    """Who follows the plan (probability q, per worker, its own stream); None when everyone does."""
    if p.coordination >= 1.0:
        return None
    return np.random.default_rng([seed, FOLLOW_STREAM]).random(n) < p.coordination


def groups(member: np.ndarray, other: np.ndarray | None, n_others: int) -> list[np.ndarray]:
    """Each collective's rows (worker slots), the first's first."""
    return [np.flatnonzero(member), *(np.flatnonzero(other == j) for j in range(2, n_others + 2))]


def row(m: "Measurement", d: "Decision", pop: "WorkerArrays", n_others: int) -> dict[str, Any]:
    """The further collectives' columns of a round's row (:func:`columns`)."""
    n, out = pop.n, {}
    for j in range(2, n_others + 2):
        alpha = m.others[j - 2][0]
        end = int(np.count_nonzero(pop.other == j))
        out.update({f"alpha_c{j}": alpha, f"members_c{j}": int(round(alpha * n)), f"S_c{j}": d.others_S[j - 2],
                    f"joins_c{j}": d.others_joins[j - 2], f"leaves_c{j}": d.others_leaves[j - 2],
                    f"alpha_end_c{j}": end / n, f"members_end_c{j}": end})
    return out


def public_success(m: "Measurement", metric: str, theory) -> tuple[float, ...]:
    """Each further collective's public success: its measured S (``metric``), or the bound at its
    size when ``theory`` (belief = "theory") is given."""
    if theory is not None:
        return tuple(float(theory.success(a)) for a, _, _ in m.others)
    return tuple(incl if metric == "inclusion" else top1 for _, top1, incl in m.others)


def label(p: "ModelParams") -> str:
    """The dashboard status line's words for further collectives and coordination noise ("" without either)."""
    parts = []
    if p.collectives:
        shares = ", ".join(f"{Collective(**e).initial_alpha:g}" for e in p.collectives)
        parts.append(f"{len(p.collectives)} further collective{'s' if len(p.collectives) > 1 else ''} from α = {shares}")
    if p.coordination < 1:
        parts.append(f"members follow with q = {p.coordination:g} ({p.noise})")
    return "".join(", " + x for x in parts)
