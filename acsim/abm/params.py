"""ModelParams: every parameter of the collective-action model, in the one pydantic schema.

Each field's type carries its allowed values (a ``Literal`` list or a ``Range``), so this
class is the one validator: a scenario file, the dashboard's controls and the CLI build a
``ModelParams`` (or read its ranges through :func:`acsim.abm.fields.range_of`) and a bad
value is refused with one line, ``field = value problem`` (:class:`acsim.abm.fields.ParamError`).
Rules that span fields (a distribution against ``n_workers``, a principal that needs a
network) are checked once, after the fields, in :meth:`ModelParams.problems`.

Population (Section 6): costs c_i ~ ``cost_dist``/``cost_params`` and free-ride shares γ_i
~ ``gamma_dist``/``gamma_params`` (:class:`Dist`); ``initial_alpha`` of the workers start
as members, chosen by ``initial_selection``. Collective: ``strategy`` and ``target``.
Firm: ``firm`` (:data:`acsim.abm.engines.FIRMS`) with ``firm_params`` (theory: ``curve`` =
"bound" | "sigmoid" (``midpoint``, ``slope``, ``offset``) | a callable | a SuccessCurve |
(α, S) samples; bayes: ``world`` or ``world_params``, ``eps``, ``adversary``, ``grid``;
text: the learner's keyword arguments plus the trigger's ``spacing``), ``success_metric``,
``theory_params`` (ξ, Δ, p, τ, ε of the bound; :class:`Bound`), ``data_source`` /
``data_params``. Beliefs: ``belief``, ``prior_belief``, ``hearing``. Network: ``network``
with ``network_params`` (:class:`Network`). Principal: ``principal``, ``budget``,
``margin``, ``recruits_per_round``, ``principal_curve``, ``principal_target_alpha``,
``principal_stop``, ``principal_probes`` (see :class:`acsim.abm.principal.Principal`).
Further collectives: ``collectives`` (:class:`acsim.abm.collectives.Collective` entries), and
how many members follow the plan: ``coordination`` q, ``noise``. Decisions: ``allow_leave``,
``temperature`` (logit choice). Run: ``rounds``, ``seed``, ``worker_agents``.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal, Optional

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from acsim.abm import collectives
from acsim.abm.beliefs import BELIEFS, HEARING
from acsim.abm.distributions import DISTRIBUTIONS, Dist
from acsim.abm.engines import FIRMS
from acsim.abm.fields import (
    Eps, NonNeg, NonNegInt, OpenUnit, ParamError, PosInt, Range, Strict, Unit, bad, first_message, problem,
    raise_all, unknown,
)
from acsim.abm.networks import NETWORKS
from acsim.abm.principal import PRINCIPAL_STOPS, PRINCIPALS
from acsim.platform.collectives import NOISE
from acsim.platform.learners.base import TEXT_LEARNERS
from acsim.theory.economics import SuccessCurve
from acsim.theory.firms.bayes import ADVERSARIES
from acsim.theory.strategy import Strategy

SELECTIONS = ("random", "cheapest", "hubs")
SUCCESS_METRICS = ("inclusion", "top1")
PRINCIPAL_CURVES = ("auto", "bound")
SIGMOID_KEYS = ("midpoint", "slope", "offset")
THEORY_CURVES = ("bound", "sigmoid", "finite-sample")
FINITE_SAMPLE_KEYS = ("signals", "fail_prob", "n_test")
_THEORY_FIRM_KEYS = {"curve", *SIGMOID_KEYS, *FINITE_SAMPLE_KEYS}
_BAYES_FIRM_KEYS = {"world", "world_params", "eps", "adversary", "grid"}

# Field types shared with the scenario schema (acsim.runs.schema): each range written once.
NWorkers = Annotated[int, Range(1, 10_000_000)]
Rounds = Annotated[int, Range(1, 100_000)]
Budget = Annotated[float, Range(0.0, math.inf, allow_inf=True)]
Probes = Annotated[int, Range(0, 64)]
Grid = Annotated[int, Range(2)]
Offset = Annotated[float, Range(0.0, 1.0, hi_open=True)]
TargetAlpha = Annotated[float, Range(0.0, 1.0, lo_open=True)]

_NETWORK_KEYS = {"none": set(), "erdos_renyi": {"p", "mean_degree"}, "barabasi_albert": {"m"},
                 "watts_strogatz": {"k", "p"}, "edgelist": {"edges", "path"}}


class Network(Strict):
    """Who hears from whom (:mod:`acsim.abm.networks`): the kind and its settings."""

    kind: Literal[NETWORKS] = "none"  # type: ignore[valid-type]
    m: Optional[PosInt] = None
    k: Optional[PosInt] = None
    p: Optional[Unit] = None
    mean_degree: Optional[NonNeg] = None
    edges: Optional[list[list[int]]] = None
    path: Optional[str] = None

    def params(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("m", "k", "p", "mean_degree", "edges", "path") if getattr(self, k) is not None}

    def check(self, n: int) -> None:
        """Settings of another kind, and the bounds that depend on the number of workers."""
        given = set(self.params())
        allowed = _NETWORK_KEYS[self.kind]
        for k in sorted(given - allowed):
            raise bad(f"does not apply to network {self.kind!r} (it takes {', '.join(sorted(allowed)) or 'nothing'})",
                      sub=k, value=getattr(self, k), has_value=True)
        if self.kind == "erdos_renyi" and given >= {"p", "mean_degree"}:
            raise bad("give either p or mean_degree for erdos_renyi, not both", sub="mean_degree", value=self.mean_degree, has_value=True)
        if self.mean_degree is not None and self.mean_degree > max(n - 1, 0):
            raise bad(f"is outside [0, {{n_workers}} - 1 = {n - 1}]", sub="mean_degree", value=self.mean_degree, has_value=True)
        for key, default in (("m", 3), ("k", 6)):
            v = getattr(self, key)
            if key in allowed and (v if v is not None else default) >= n:
                raise bad(f"must be below {{n_workers}} = {n}", sub=key, value=v if v is not None else default, has_value=True)
        if self.kind == "edgelist" and (self.edges is None) == (self.path is None):
            raise bad("needs exactly one of edges or path for network 'edgelist'")


class Bound(Strict):
    """ξ, Δ, p, τ, ε of the paper's bound (Theorems 1, 3, 5); missing ones are exact, estimated or defaulted."""

    xi: Optional[NonNeg] = None
    delta: Optional[Unit] = None
    p: Optional[OpenUnit] = None
    tau: Optional[NonNeg] = None
    eps: Optional[Eps] = None

    def given(self) -> dict[str, float]:
        return {k: getattr(self, k) for k in ("xi", "delta", "p", "tau", "eps") if getattr(self, k) is not None}


def _plain(v: Any) -> Any:
    """numpy scalars as Python ones (the schema is strict: 2.0 is not an integer, np.int64(2) is)."""
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    return v


class ModelParams(BaseModel):
    """All parameters of :class:`acsim.abm.model.CollectiveActionModel`, flat and validated (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", strict=True, arbitrary_types_allowed=True, validate_default=True)

    n_workers: NWorkers = 1000
    cost_dist: Literal[DISTRIBUTIONS] = "constant"  # type: ignore[valid-type]
    cost_params: dict[str, Any] = Field(default_factory=lambda: {"value": 0.2})
    gamma_dist: Literal[DISTRIBUTIONS] = "constant"  # type: ignore[valid-type]
    gamma_params: dict[str, Any] = Field(default_factory=lambda: {"value": 0.5})
    initial_alpha: Unit = 0.0
    initial_selection: Literal[SELECTIONS] = "random"  # type: ignore[valid-type]
    strategy: str = "feature-label"
    target: NonNegInt = 0
    firm: Literal[FIRMS] = "theory"  # type: ignore[valid-type]
    firm_params: dict[str, Any] = Field(default_factory=dict)
    success_metric: Literal[SUCCESS_METRICS] = "inclusion"  # type: ignore[valid-type]
    theory_params: dict[str, Any] = Field(default_factory=dict)
    data_source: str = "synthetic"
    data_params: dict[str, Any] = Field(default_factory=dict)
    belief: Literal[BELIEFS] = "empirical"  # type: ignore[valid-type]
    prior_belief: Unit = 0.0
    hearing: Literal[HEARING] = "average"  # type: ignore[valid-type]
    network: Literal[NETWORKS] = "none"  # type: ignore[valid-type]
    network_params: dict[str, Any] = Field(default_factory=dict)
    principal: Literal[PRINCIPALS] = "none"  # type: ignore[valid-type]
    budget: Budget = math.inf
    margin: NonNeg = 0.0
    recruits_per_round: Optional[PosInt] = None
    principal_curve: Literal[PRINCIPAL_CURVES] = "auto"  # type: ignore[valid-type]
    principal_target_alpha: Optional[TargetAlpha] = None
    principal_stop: Literal[PRINCIPAL_STOPS] = "target"  # type: ignore[valid-type]
    principal_probes: Probes = 8
    collectives: list[Any] = Field(default_factory=list)
    coordination: Unit = 1.0
    noise: Literal[NOISE] = "nothing"  # type: ignore[valid-type]
    allow_leave: bool = True
    temperature: NonNeg = 0.0
    rounds: Rounds = 20
    seed: Optional[NonNegInt] = None
    worker_agents: Optional[NonNegInt] = None

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
            raise_all(self.problems(), "ModelParams")
        except ValidationError as exc:
            raise ParamError(first_message(exc, data, "", ModelParams), exc.errors()) from None

    @model_validator(mode="before")
    @classmethod
    def _python_values(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        out = {k: _plain(v) for k, v in data.items()}
        if isinstance(out.get("strategy"), (str, Strategy)):
            try:
                out["strategy"] = Strategy.parse(out["strategy"]).value  # aliases: strategy1, feature_label, ...
            except ValueError:
                raise bad(f"must be one of {', '.join(m.value for m in Strategy)}", sub="strategy",
                          value=out["strategy"], has_value=True) from None
        fp = out.get("firm_params")
        if isinstance(fp, dict) and isinstance(fp.get("curve"), list) and len(fp["curve"]) == 2:
            out["firm_params"] = {**fp, "curve": tuple(fp["curve"])}  # (α, S) samples from TOML/JSON arrive as a list
        return out

    # -- the rules that span fields ---------------------------------------------------------
    def problems(self) -> list[dict]:
        """Every cross-field problem as ``{"type": PydanticCustomError, "loc": (field, ...)}``."""
        errs: list[dict] = []
        n = self.n_workers
        for name, unit in (("cost", False), ("gamma", True)):
            self._sub(errs, f"{name}_params", lambda p, u=unit, d=getattr(self, f"{name}_dist"): Dist(dist=d, **p).check(u, n))
        self._sub(errs, "theory_params", lambda p: Bound(**p))
        self._sub(errs, "network_params", lambda p: Network(kind=self.network, **p).check(n))
        errs += collectives.problems(self)
        errs += self._firm_problems()
        if self.network == "none":
            needs = [("belief", self.belief == "network"), ("principal", self.principal == "hubs"),
                     ("initial_selection", self.initial_selection == "hubs" and self.initial_alpha > 0)]
            for field, wrong in needs:
                if wrong:
                    errs.append({"type": bad(f"needs a network: set {{network}} to one of {', '.join(NETWORKS[1:])}"),
                                 "loc": (field,)})
        if self.firm in TEXT_LEARNERS and self.strategy == Strategy.ERASURE.value:
            errs.append({"type": bad(f"needs {{firm}} = 'theory' or 'bayes', not {self.firm!r} (the text firms cannot erase a signal: "
                                     "that needs the words to erase and a cross-fitted posterior every round)",
                                     value="erasure", has_value=True), "loc": ("strategy",)})
        return errs

    def _sub(self, errs: list[dict], field: str, check) -> None:
        try:
            check(getattr(self, field))
        except ValidationError as exc:
            for e in exc.errors():
                if e["type"] == "extra_forbidden":
                    kind = _SECTIONS.get(exc.title, ())
                    errs.append({"type": unknown([k for k in kind if k not in ("dist", "kind")]), "loc": (field, *e["loc"])})
                else:
                    errs.append({"type": bad(problem(e), value=e.get("input"), has_value=e["type"] != "missing"),
                                 "loc": (field, *e["loc"])})
        except Exception as exc:  # noqa: BLE001  (a PydanticCustomError from Dist/Network.check)
            if getattr(exc, "type", None) == "acsim":
                errs.append({"type": exc, "loc": (field,)})
            else:
                raise

    def _firm_problems(self) -> list[dict]:
        fp, errs = self.firm_params, []

        def fail(key: str | None, msg: str, value: Any = None, has: bool = False) -> None:
            errs.append({"type": bad(msg, sub=key, value=value, has_value=has), "loc": ("firm_params",)})

        allowed = {"theory": _THEORY_FIRM_KEYS, "bayes": _BAYES_FIRM_KEYS}.get(self.firm)
        for k in sorted(set(fp) - allowed) if allowed is not None else ():
            errs.append({"type": unknown(sorted(allowed)), "loc": ("firm_params", k)})
        if self.firm == "theory":
            curve = fp.get("curve", "bound")
            if isinstance(curve, str):
                if curve not in THEORY_CURVES:
                    fail("curve", "must be 'bound', 'sigmoid', 'finite-sample', a callable, a SuccessCurve or (alpha, S) samples", curve, True)
                elif curve == "sigmoid":
                    for k in ("midpoint", "slope"):
                        if not isinstance(fp.get(k), (int, float)) or not math.isfinite(fp[k]):
                            fail(k, "must be a finite number (required by curve = 'sigmoid')", fp.get(k), k in fp)
                    off = fp.get("offset", 0.0)
                    if not isinstance(off, (int, float)) or not 0.0 <= off < 1.0:
                        fail("offset", "is outside [0, 1)", off, True)
                else:
                    for k in sorted(set(fp) & set(SIGMOID_KEYS)):
                        fail(k, "only applies to curve = 'sigmoid'", fp[k], True)
                if curve == "finite-sample":
                    self._finite_sample_problems(fail, errs)
                else:
                    for k in sorted(set(fp) & set(FINITE_SAMPLE_KEYS)):
                        fail(k, "only applies to curve = 'finite-sample'", fp[k], True)
            elif not (callable(curve) or isinstance(curve, (SuccessCurve, tuple))):
                fail("curve", "must be 'bound', 'sigmoid', 'finite-sample', a callable, a SuccessCurve or (alpha, S) samples", curve, True)
        elif self.firm == "bayes":
            if "world" in fp and "world_params" in fp:
                fail("world_params", "give world or world_params, not both")
            if fp.get("adversary", "contamination") not in ADVERSARIES:
                fail("adversary", f"must be one of {', '.join(ADVERSARIES)}", fp["adversary"], True)
            eps = fp.get("eps", 0.0)
            if not isinstance(eps, (int, float)) or not 0.0 <= eps < 0.5:
                fail("eps", "is outside [0, 0.5)", eps, True)
            g = fp.get("grid", 1025)
            if not isinstance(g, int) or isinstance(g, bool) or g < 2:
                fail("grid", "is outside [2, inf) (an integer)", g, True)
        else:
            sp = fp.get("spacing")
            if sp is not None and (not isinstance(sp, int) or isinstance(sp, bool) or sp < 1):
                fail("spacing", "is outside [1, inf) (an integer)", sp, True)
        return errs

    def _finite_sample_problems(self, fail, errs: list[dict]) -> None:
        """curve = 'finite-sample' (Gauthier et al. 2025): its own settings and the strategies it covers."""
        fp = self.firm_params
        k = fp.get("signals", 1)
        if not isinstance(k, int) or isinstance(k, bool) or k < 1:
            fail("signals", "is outside [1, inf) (an integer)", k, True)
        d = fp.get("fail_prob", 0.05)
        if not isinstance(d, (int, float)) or isinstance(d, bool) or not 0.0 < d < 1.0:
            fail("fail_prob", "is outside (0, 1) (a probability)", d, True)
        t = fp.get("n_test")
        if t is not None and (not isinstance(t, int) or isinstance(t, bool) or t < 1):
            fail("n_test", "is outside [1, inf) (an integer)", t, True)
        xi = self.theory_params.get("xi", 1e-3)
        if isinstance(xi, (int, float)) and not 0.0 <= xi < 1.0:
            errs.append({"type": bad("is outside [0, 1) (the signal world's base mass, with curve = 'finite-sample')",
                                     sub="xi", value=xi, has_value=True), "loc": ("theory_params",)})
        if Strategy.parse(self.strategy) is Strategy.ERASURE:
            fail("curve", "covers only strategy feature-label or feature-only (Theorem 3.9's erasure "
                 "needs a world with Assumption A1's margin)", "finite-sample", True)
        if self.n_workers < 2:
            fail("curve", "needs n_workers >= 2 (a platform with members and non-members)", "finite-sample", True)

    # -- plain data ------------------------------------------------------------------------
    def fields(self) -> dict[str, Any]:
        """The fields as given (no copies: callables and worlds stay themselves)."""
        return {k: getattr(self, k) for k in type(self).model_fields}

    def replace(self, **changes: Any) -> "ModelParams":
        """A validated copy with ``changes`` applied (like ``dataclasses.replace``)."""
        return ModelParams(**{**self.fields(), **changes})

    def to_dict(self) -> dict[str, Any]:
        """The parameters as plain data (callables and worlds shown by their repr), for manifests."""
        out = self.model_dump()
        for k, v in out["firm_params"].items():
            if not isinstance(v, (int, float, str, bool, type(None), list, dict)):
                out["firm_params"][k] = repr(v)
        return out


_SECTIONS = {m.__name__: tuple(m.model_fields) for m in (Dist, Network, Bound)}
