"""Many runs of the model at once: R runs' workers as (R, N) arrays, each round one pass for all.

A batch of theory-firm runs spends its time around the arithmetic, not in it: a quickstart
run's 20 rounds over 10,000 workers are ~8 ms of per-stage Python and Mesa bookkeeping
around ~0.5 ms of array work. :func:`run_many` builds every run's
:class:`~acsim.abm.model.CollectiveActionModel` as usual (the same draws from the same seed,
the same principal), then steps all of them in lockstep:

1-2. every run's α_t is a row count of the (R, N) member matrix, S_t = S(α_t) one curve
     evaluation per distinct curve, the bound likewise;
3.   Section 6's join rule (1 − γ_i)·b − c_i > 0 for all R·N workers in one expression
     (:func:`acsim.theory.economics.membership_gain`, the model's own), the membership
     update likewise (:func:`acsim.theory.economics.next_members`);
4.   each run's own :class:`~acsim.abm.principal.Principal` on a view of its row, called
     only while it invests or when its status can change (otherwise it does nothing);
5.   the row: columns of (R, rounds) arrays, one DataFrame per call.

The rows equal ``CollectiveActionModel(params).run()`` exactly, column by column and bit
by bit (``tests/test_ensemble.py`` compares them on a sample of every shipped qualifying
configuration). :func:`why_not` says which runs qualify.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pandas as pd
from scipy.special import expit

from acsim.abm.decisions import Decision
from acsim.abm.engines import Measurement
from acsim.abm.model import ROW_COLUMNS, CollectiveActionModel
from acsim.abm.params import ModelParams
from acsim.theory.economics import membership_gain, next_members

__all__ = ["why_not", "run_many", "MAX_CELLS"]

# Workers × runs held at once (cost, stake, gain as float64, member and committed as bool:
# about 35 bytes a cell, so 2M cells ≈ 70 MB); run_many's callers chunk batches by it.
MAX_CELLS = 2_000_000


def why_not(params: ModelParams) -> str | None:
    """None when a run can be computed in an ensemble, else the reason it cannot.

    The ensemble covers the theory firm (S is a known curve: nothing to train) with one
    collective that everyone in it follows, and beliefs every worker reads alike
    (``empirical``, ``theory``); a network's beliefs need each run's own contact counts.
    """
    if params.firm != "theory":
        return f"firm = {params.firm!r} trains (or solves) a model per run"
    if params.collectives:
        return "further collectives"
    if params.coordination < 1.0:
        return "coordination < 1"
    if params.belief == "network":
        return "network beliefs"
    return None


def _models(params: Sequence[ModelParams]) -> list[CollectiveActionModel]:
    return [CollectiveActionModel(p if p.worker_agents == 0 else p.replace(worker_agents=0)) for p in params]


def run_many(params: Sequence[ModelParams]) -> pd.DataFrame:
    """The rows of every run, computed together: run r's are rows r·T … (r+1)·T − 1 (T = rounds),
    equal to ``CollectiveActionModel(p).run().reset_index(drop=True)``.

    Every ``p`` must qualify (:func:`why_not`) and all must have the same ``n_workers``
    and ``rounds``; a ValueError says which does not.
    """
    params = list(params)
    if not params:
        return pd.DataFrame(columns=list(ROW_COLUMNS))
    for p in params:
        reason = why_not(p)
        if reason is not None:
            raise ValueError(f"run_many: a run does not qualify ({reason})")
    n, rounds = params[0].n_workers, params[0].rounds
    if any(p.n_workers != n or p.rounds != rounds for p in params):
        raise ValueError("run_many: every run needs the same n_workers and rounds (group them first)")
    models = _models(params)
    try:
        return _step_all(models, n, rounds)
    finally:
        for m in models:
            m.close()  # mesa#3179: else every model stays alive
            # A model and its agents point at each other, so only a cycle collection of the whole
            # heap (~70 ms) would free them; these models are run_many's own: drop what they hold,
            # and a chunk's models (~1 MB each at 10,000 workers) go now, before the next chunk's.
            m.__dict__.clear()


def _groups(objs: list) -> list[tuple[object, np.ndarray]]:
    """Runs sharing one object (a curve, a bound): evaluate it once for all of them."""
    by_id: dict[int, tuple[object, list[int]]] = {}
    for r, o in enumerate(objs):
        by_id.setdefault(id(o), (o, []))[1].append(r)
    return [(o, np.asarray(rs)) for o, rs in by_id.values()]


def _step_all(models: list[CollectiveActionModel], n: int, rounds: int) -> pd.DataFrame:
    R = len(models)
    pops = [m.population for m in models]
    member = np.stack([p.member for p in pops])
    committed = np.stack([p.committed for p in pops])
    for r, pop in enumerate(pops):  # the principal reads and writes its run's row of these
        pop.member, pop.committed = member[r], committed[r]
    cost = np.stack([p.cost for p in pops])
    stake = np.stack([p.stake for p in pops])
    engines = [m.firm.engine for m in models]
    curves = _groups([e.curve for e in engines])
    bounds = _groups([e.theory for e in engines])
    theory_belief = np.array([m.params.belief == "theory" for m in models])
    temperature = np.array([m.params.temperature for m in models])
    allow_leave = np.array([m.params.allow_leave for m in models])
    plan_curves = [m.principal_curve() for m in models]  # constant for a known curve
    principals = [m.principal for m in models]

    cols = {c: np.empty((R, rounds)) for c in ("alpha", "S", "S_measured", "bound", "willing", "spend", "spend_total", "budget_left",
                                                "alpha_crit", "members_crit", "B_crit")}
    ints = {c: np.empty((R, rounds), dtype=np.int64) for c in ("members", "joins", "leaves", "recruits", "members_end")}
    status = np.empty((R, rounds), dtype=object)
    spend_total = np.array([p.spent_total for p in principals])
    budget_left = np.array([p.budget_left for p in principals])
    investing = np.ones(R, dtype=bool)  # round 1: every principal assesses its curve (α_crit, B(α_crit))
    stop = np.full(R, -1, dtype=np.int64)  # members when it stopped; −1 while it has not
    unravelled = np.zeros(R, dtype=bool)
    crit = np.empty((R, 3))  # α_crit, members_crit, B_crit
    for t in range(rounds):
        alpha = _counts(member) / n
        s = np.empty(R)
        for curve, rs in curves:  # stages 1-2: S(α_t) (everyone follows: planted = α)
            s[rs] = curve(alpha[rs])
        bound = np.full(R, math.nan)
        for th, rs in bounds:
            if th is not None:
                on = rs[alpha[rs] > 0]
                bound[on] = th(alpha[on])
        public = s.copy()  # stage 3: what beliefs are built from
        for th, rs in bounds:
            on = rs[theory_belief[rs]]
            if on.size:
                public[on] = th.success(alpha[on]) if th is not None else 0.0
        gain = membership_gain(public[:, None], cost, stake)
        want = gain > 0.0
        for r in np.flatnonzero(temperature > 0):  # logit choice: each run's own stream, as in the model
            want[r] = models[r].rng.random(n) < expit(gain[r] / temperature[r])
        new = np.where(allow_leave[:, None], next_members(member, want, True, committed), member | want)
        joins, leaves, willing = _counts(new & ~member), _counts(member & ~new), _counts(want) / n
        member[:] = new
        recruits = np.zeros(R, dtype=np.int64)
        spend = np.zeros(R)
        for r in np.flatnonzero(investing):  # stage 4, where the principal invests (elsewhere it does nothing)
            p = principals[r]
            measured = Measurement(float(alpha[r]), float(s[r]), float(s[r]), math.nan, 0.0, float(bound[r]))
            p.step(plan_curves[r], measured, Decision(float(public[r]), int(joins[r]), int(leaves[r]), float(willing[r])))
            recruits[r], spend[r], spend_total[r], budget_left[r] = p.recruits_round, p.spend_round, p.spent_total, p.budget_left
            _assessed(p, r, crit)
        k_end = _counts(member)
        # After it stops, a principal's status moves only when the collective crosses the size it
        # stopped at (Principal.watch); call it exactly there.
        for r in np.flatnonzero(~investing & (stop >= 0) & ((k_end < stop) != unravelled)):
            principals[r].watch()
        for r in np.flatnonzero(investing):
            p = principals[r]
            investing[r], stop[r] = p.status == "investing", -1 if p.stop_size is None else p.stop_size
        now = [p.status for p in principals]
        unravelled = np.array([x == "unravelled" for x in now])
        cols["alpha"][:, t], cols["S"][:, t], cols["S_measured"][:, t] = alpha, public, s
        cols["bound"][:, t], cols["willing"][:, t] = bound, willing
        cols["spend"][:, t], cols["spend_total"][:, t], cols["budget_left"][:, t] = spend, spend_total, budget_left
        cols["alpha_crit"][:, t], cols["members_crit"][:, t], cols["B_crit"][:, t] = crit.T
        ints["members"][:, t] = np.round(alpha * n)
        ints["joins"][:, t], ints["leaves"][:, t], ints["recruits"][:, t], ints["members_end"][:, t] = joins, leaves, recruits, k_end
        status[:, t] = now
    return _frame(models, n, rounds, cols, ints, status)


def _counts(rows: np.ndarray) -> np.ndarray:
    """True values per row (row by row: 4× faster than ``count_nonzero(axis=1)``, which copies)."""
    return np.fromiter((np.count_nonzero(r) for r in rows), dtype=np.int64, count=rows.shape[0])


def _assessed(p, r: int, crit: np.ndarray) -> None:
    a = p.assessment
    crit[r] = a.alpha_crit, math.inf if a.k_crit is None else a.k_crit, a.B_crit


def _frame(models: list[CollectiveActionModel], n: int, rounds: int, cols: dict, ints: dict,
           status: np.ndarray) -> pd.DataFrame:
    """All runs' rows, run after run, with the columns and dtypes of the model's DataCollector."""
    R = len(models)
    each = lambda values: np.repeat(np.asarray(values), rounds)  # noqa: E731 - a constant per run
    stats = np.array([m._threshold_stats for m in models]).reshape(R, 3)
    flat = {c: v.ravel() for c, v in {**cols, **ints}.items()}
    d = {
        "round": np.tile(np.arange(1, rounds + 1, dtype=np.int64), R),
        "firm": each([m.firm.kind for m in models]).tolist(), "S_source": each([m.firm.source for m in models]).tolist(),
        "alpha": flat["alpha"], "members": flat["members"], "S": flat["S"], "S_top1": flat["S_measured"],
        "S_inclusion": flat["S_measured"], "bound": flat["bound"], "belief_mean": flat["S"],
        "threshold_min": each(stats[:, 0]), "threshold_median": each(stats[:, 1]), "threshold_max": each(stats[:, 2]),
        "willing": flat["willing"], "joins": flat["joins"], "leaves": flat["leaves"], "recruits": flat["recruits"],
        "members_end": flat["members_end"], "alpha_end": flat["members_end"] / n, "spend": flat["spend"],
        "spend_total": flat["spend_total"], "budget_left": flat["budget_left"], "principal_status": status.ravel().tolist(),
        "alpha_crit": flat["alpha_crit"], "members_crit": flat["members_crit"], "B_crit": flat["B_crit"],
        "B_crit_total": n * flat["B_crit"], "accuracy": np.full(R * rounds, math.nan), "train_seconds": np.zeros(R * rounds),
    }
    return pd.DataFrame({c: d[c] for c in ROW_COLUMNS})
