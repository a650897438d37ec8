"""Scenario files: loading, variants, sweeps and the runs a scenario stands for.

A scenario (TOML, :mod:`acsim.runs.schema` lists every field) describes a batch of runs:
who the workers are, what the collective does, which firm retrains, whether a principal
invests, for how many rounds and seeds, and optionally a ``[sweep]`` of parameters to vary
and ``[variants.NAME]`` tables. Loading never executes code from the file (``tomllib`` only
parses data); every variant and sweep point is validated before anything runs, and a
problem is a :class:`ScenarioError`, one line naming file, field, value and what is allowed.
"""

from __future__ import annotations

import copy
import itertools
import json
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from acsim.platform import collectives
from acsim.platform import experiments as X
from acsim.platform.data import CLASS_NAMES, class_index, load_dataset
from acsim.runs.scenario_params import data_params, model_params
from acsim.runs.store import RunSpec, params_text, run_id
from acsim.runs.schema import Experiment, Scenario, ScenarioError, in_file_words, model_check, validate_scenario
from acsim.abm.fields import show


__all__ = [
    "ScenarioError",
    "Scenario",
    "LoadedScenario",
    "load_scenario",
    "parse_scenario",
    "find_scenario",
    "shipped_scenarios",
    "parse_override",
    "sweep_points",
    "model_params",
    "in_file_words",
    "expand",
    "experiment_spec",
    "run_id",
    "SCENARIO_DIR",
]

SCENARIO_DIR = Path(__file__).resolve().parents[2] / "scenarios"


# --------------------------------------------------------------------------- sweeps


def _sweep_values(path: str, spec: Any, where: str) -> list[Any]:
    if isinstance(spec, list):
        if not spec:
            raise ScenarioError(f"{where}sweep.{path} is an empty list")
        return spec
    if isinstance(spec, dict) and len(spec) == 1 and next(iter(spec)) in ("linspace", "geomspace", "range"):
        how, args = next(iter(spec.items()))
        ok = isinstance(args, list) and len(args) == 3 and all(isinstance(a, (int, float)) and not isinstance(a, bool) for a in args)
        if not ok:
            raise ScenarioError(f"{where}sweep.{path}.{how} = {show(args)} must be [start, stop, count or step]")
        lo, hi, n = args
        if how == "range":
            if not all(isinstance(a, int) for a in args) or n == 0:
                raise ScenarioError(f"{where}sweep.{path}.range = {show(args)} must be three integers [start, stop, step], step ≠ 0")
            vals: list[Any] = list(range(lo, hi, n))
        else:
            if not isinstance(n, int) or n < 1:
                raise ScenarioError(f"{where}sweep.{path}.{how} count = {show(n)} must be an integer >= 1")
            if how == "geomspace" and (lo <= 0 or hi <= 0):
                raise ScenarioError(f"{where}sweep.{path}.geomspace = {show(args)} needs start, stop > 0")
            vals = [float(v) for v in (np.linspace if how == "linspace" else np.geomspace)(lo, hi, n)]
        if not vals:
            raise ScenarioError(f"{where}sweep.{path}.{how} = {show(args)} gives no values")
        return vals
    raise ScenarioError(f"{where}sweep.{path} = {show(spec)} must be a list of values or {{linspace|geomspace|range = [...]}}")


def _flatten(table: dict, prefix: str = "", leaf_ok=lambda v: not isinstance(v, dict)) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in table.items():
        key = f"{prefix}{k}"
        if leaf_ok(v):
            out[key] = v
        else:
            out.update(_flatten(v, key + ".", leaf_ok))
    return out


def _is_sweep_leaf(v: Any) -> bool:
    return not isinstance(v, dict) or (len(v) == 1 and next(iter(v)) in ("linspace", "geomspace", "range"))


def sweep_points(sweep: dict, where: str = "") -> list[dict[str, Any]]:
    """The sweep's points: dotted path → value, in a stable order (grid: last key fastest)."""
    table = dict(sweep)
    mode = table.pop("mode", "grid")
    if mode not in ("grid", "zip"):
        raise ScenarioError(f"{where}sweep.mode = {show(mode)} must be one of 'grid', 'zip'")
    flat = _flatten(table, leaf_ok=_is_sweep_leaf)
    if not flat:
        return [{}]
    values = {k: _sweep_values(k, v, where) for k, v in flat.items()}
    keys = list(values)
    if mode == "zip":
        lengths = {k: len(v) for k, v in values.items()}
        if len(set(lengths.values())) > 1:
            raise ScenarioError(f"{where}sweep: mode = 'zip' needs lists of one length, got " + ", ".join(f"{k}: {n}" for k, n in lengths.items()))
        return [dict(zip(keys, combo)) for combo in zip(*values.values())]
    return [dict(zip(keys, combo)) for combo in itertools.product(*values.values())]


def _set_path(raw: dict, path: str, value: Any, where: str, what: str) -> None:
    parts = path.split(".")
    if parts[0] in ("sweep", "variants", "name", "kind"):
        raise ScenarioError(f"{where}{what} cannot set {path}")
    cur = raw
    for i, p in enumerate(parts[:-1]):
        nxt = cur.get(p)
        if nxt is None:
            nxt = cur[p] = {}
        elif not isinstance(nxt, dict):
            # A shorthand (gamma = 0.5) being swept by a sub-field: expand it to its table.
            key = "dist" if p in ("cost", "gamma") else "kind"
            nxt = cur[p] = ({"dist": "constant", "value": nxt} if key == "dist" and isinstance(nxt, (int, float)) else {key: nxt})
        cur = nxt
    if parts[-1] in ("cost", "gamma") and isinstance(cur.get(parts[-1]), dict) and isinstance(value, (int, float)) and not isinstance(value, bool):
        value = {"dist": "constant", "value": value}
    cur[parts[-1]] = copy.deepcopy(value)


# --------------------------------------------------------------------------- loading


@dataclass
class LoadedScenario:
    """A validated scenario with its sweep points (each one validated too)."""

    scenario: Scenario
    raw: dict
    path: Path | None
    points: list[dict[str, Any]]
    resolved: list[Scenario]
    variant: str | None = None

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def notes(self) -> list[str]:
        """Settings present but unused by the chosen firm (across all sweep points, once each)."""
        return list(dict.fromkeys(n for sc in self.resolved for n in sc._notes))

    @property
    def where(self) -> str:
        return f"{self.path}: " if self.path else ""

    def runs(self) -> list["RunSpec"]:
        """Every run of the batch: sweep points × seeds (× sizes for experiments)."""
        out: list[RunSpec] = []
        text = self._text_columns()
        for i, (point, sc) in enumerate(zip(self.points, self.resolved)):
            columns = self.point_columns(point, text)
            encoded: dict[int, str] = {}  # a point's seeds share one parameters dict: encode it once
            for kind, params, seed, extra in expand(sc, self.base_dir):
                if id(params) not in encoded:
                    encoded[id(params)] = params_text(params)
                out.append(RunSpec.make(kind, params, seed, {**columns, **extra}, i, encoded[id(params)]))
        return out

    def _text_columns(self) -> set[str]:
        return {k for p in self.points for k, v in p.items() if isinstance(v, (dict, list))}

    def point_columns(self, point: dict[str, Any], text: set[str] | None = None) -> dict[str, Any]:
        """A sweep point as table columns: a parameter swept over tables (distributions) is JSON text throughout."""
        text = self._text_columns() if text is None else text
        return {k: (json.dumps(v, sort_keys=True) if k in text else v) for k, v in point.items()}

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    def to_dict(self) -> dict[str, Any]:
        """The scenario as resolved (defaults filled in), for the manifest."""
        d = self.scenario.model_dump(mode="json")
        d["sweep_points"] = list(self.points)
        d["variant"] = self.variant
        return d


def parse_scenario(text: str, path: str | Path | None = None, variant: str | None = None,
                   overrides: dict[str, Any] | None = None) -> LoadedScenario:
    """Parse and validate TOML text (``path`` only names it in messages and resolves relative paths)."""
    where = f"{path}: " if path is not None else ""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{where}invalid TOML: {exc}") from None
    raw = dict(raw)
    if path is not None and "name" not in raw:
        raw["name"] = Path(path).stem
    base = validate_scenario(raw, where)  # the file as written, before variants and overrides
    if variant is not None and variant not in base.variants:
        have = ", ".join(base.variants) or "none"
        raise ScenarioError(f"{where}no variant {variant!r} (variants: {have})")
    # Every variant is checked now, asked for or not: a broken variant must not wait for
    # the day someone runs it.
    for name in base.variants:
        if name != variant:
            _apply_variant(copy.deepcopy(raw), base, name, where)
    if variant is not None:
        raw = _apply_variant(raw, base, variant, where, validate=False)
    for k, v in (overrides or {}).items():
        _set_path(raw, k, v, where, "--set")
    sc = validate_scenario(raw, where) if (variant or overrides) else base
    points, resolved = _resolve_points(raw, sc, where)
    loaded = LoadedScenario(sc, raw, Path(path) if path is not None else None, points, resolved, variant)
    return loaded


def _apply_variant(raw: dict, base: Scenario, name: str, where: str, validate: bool = True) -> dict:
    """``raw`` with ``variants.NAME`` applied; with ``validate``, checked like the file itself (sweep points too)."""
    for k, v in _flatten(base.variants[name]).items():
        _set_path(raw, k, v, where, f"variants.{name}")
    if validate:
        vwhere = f"{where}variants.{name}: "
        _resolve_points(raw, validate_scenario(raw, vwhere), vwhere)
    return raw


def _resolve_points(raw: dict, sc: Scenario, where: str) -> tuple[list[dict[str, Any]], list[Scenario]]:
    """The sweep's points and the scenario validated at each (model-level checks included)."""
    points = sweep_points(sc.sweep, where)
    resolved = []
    for point in points:
        if not point:
            resolved.append(sc)
            continue
        r = copy.deepcopy(raw)
        for k, v in point.items():
            _set_path(r, k, v, where, "sweep")
        label = ", ".join(f"{k} = {show(v)}" for k, v in point.items())
        try:
            resolved.append(validate_scenario(r, where + "sweep: "))
        except ScenarioError as exc:
            raise ScenarioError(f"{exc} (at sweep point {label})") from None
    for r in resolved:  # model-level checks (e.g. a network the principal needs) before anything runs
        model_check(r, where)
    return points, resolved


def load_scenario(name_or_path: str | Path, variant: str | None = None, overrides: dict[str, Any] | None = None) -> LoadedScenario:
    """Load a scenario file, or a shipped scenario by name (``quickstart``)."""
    path = find_scenario(name_or_path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not UTF-8 text") from None
    return parse_scenario(text, path, variant, overrides)


def find_scenario(name_or_path: str | Path) -> Path:
    """A path as given, else NAME.toml in ./scenarios or among the shipped scenarios."""
    p = Path(name_or_path)
    candidates = [p, p.with_suffix(".toml") if p.suffix != ".toml" else p]
    if len(p.parts) == 1:
        candidates += [Path("scenarios") / f"{p.stem}.toml", SCENARIO_DIR / f"{p.stem}.toml"]
    for c in candidates:
        if c.is_file():
            return c
    shipped = ", ".join(shipped_scenarios()) or "none found"
    raise FileNotFoundError(f"{name_or_path}: no such scenario file (shipped scenarios: {shipped})")


def shipped_scenarios() -> list[str]:
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.toml")) if SCENARIO_DIR.is_dir() else []


def parse_override(text: str) -> tuple[str, Any]:
    """``--set population.n=5000`` → ("population.n", 5000); the value is read as TOML (strings may be bare)."""
    if "=" not in text:
        raise ValueError(f"--set needs KEY=VALUE, got {text!r}")
    key, val = (s.strip() for s in text.split("=", 1))
    if not key:
        raise ValueError(f"--set needs KEY=VALUE, got {text!r}")
    try:
        value = tomllib.loads(f"v = {val}")["v"]
    except tomllib.TOMLDecodeError:
        value = val  # a bare word: a string
    return key, value


def expand(sc: Scenario, base_dir: Path | None = None) -> list[tuple[str, dict[str, Any], int, dict[str, Any]]]:
    """(kind, params, seed, extra point columns) of every run of one resolved scenario."""
    if sc.kind == "model":
        params = model_params(sc, base_dir)
        return [("model", params, s, {}) for s in sc.seeds]
    e = sc.experiment or Experiment()
    data = {"source": sc.data.source, **data_params(sc, base_dir)}
    spec = experiment_spec(sc, data)
    if sc.data.source.startswith("synthetic"):
        # The paper's 25,000 / 4,783 resumes unless the scenario says otherwise.
        data.setdefault("n_train", 25_000)
        data.setdefault("n_test", 4_783)
    out = []
    for curve, size, seed in X.iter_runs(spec):
        params = {"figure": e.figure, "curve": collectives.curve_params(curve), "size": float(size), "unit": spec.size_unit,
                  "learner": sc.firm.kind, "learner_params": dict(sc.firm.learner), "data": data,
                  "target_success": e.target_success}
        out.append(("experiment", params, seed, {}))
    return out


def experiment_spec(sc: Scenario, data: dict | None = None):
    """The :class:`acsim.platform.experiments.ExperimentSpec` of a ``kind = "experiment"`` scenario.

    ``experiment.sizes`` below the paper's 20 picks that many of the paper's sizes, as
    ``acsim experiment NAME --quick`` does (so the CPU default reproduces its numbers).
    ``experiment.members`` replaces the sizes by member counts; ``experiment.target`` by
    name needs the data's class names (``data``: the loader's arguments; synthetic
    sources know theirs without loading).
    """
    e = sc.experiment or Experiment()
    spacing = sc.collective.trigger_spacing or 20
    seeds = tuple(sc.seeds)
    spec = X.paper_experiments(epochs=e.epochs, spacing=spacing, n_sizes=max(20, e.sizes), seeds=seeds)[e.figure]
    spec = X.quick(spec, n_sizes=e.sizes, seeds=seeds) if e.sizes < 20 else spec
    if "epochs" in e.model_fields_set:
        spec = X.by_epochs(spec)  # asked for: the bow firm then trains by epochs, not to its optimum
    if e.members is not None:
        spec = X.with_members(spec, e.members)
    if e.collectives or e.coordination < 1.0:
        others = tuple(collectives.Other(**c.model_dump()) for c in e.collectives)
        spec = replace(spec, curves=tuple(replace(c, others=others, coordination=e.coordination, noise=e.noise)
                                          for c in spec.curves))
    if e.target is not None:
        if sc.data.source.startswith("synthetic"):
            names = CLASS_NAMES
        else:
            d = dict(data or data_params(sc, None))
            d.pop("source", None)
            names = load_dataset(sc.data.source, d.pop("path", None), **d)[0].label_names
        spec = X.with_target(spec, class_index(e.target, names, "experiment.target"))
    return spec
