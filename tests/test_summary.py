"""acsim.abm.summary: the read-only summary a viewer (the dashboard) shows of a model.

Every expected value is computed here from the model's own cost and γ arrays with numpy,
not through acsim.economics or ``model.sorted_thresholds``.
"""

from __future__ import annotations

import dataclasses
import gc
import math
import sys

import numpy as np
import pytest

from acsim.abm.model import CollectiveActionModel, ModelParams
from acsim.abm import summary as summary_module
from acsim.abm.summary import ModelSummary, quantile_sorted, summarize


def _params(**kw) -> ModelParams:
    base = dict(n_workers=1500, cost_dist="uniform", cost_params={"low": 0.05, "high": 0.35},
                gamma_dist="uniform", gamma_params={"low": 0.3, "high": 0.7},
                firm_params={"curve": "sigmoid", "midpoint": 0.08, "slope": 60.0},
                network="none", principal="cheapest", recruits_per_round=15, seed=11, rounds=5)
    base.update(kw)
    return ModelParams(**base)


def test_thresholds_match_numpy_quantiles_of_c_over_one_minus_gamma():
    m = CollectiveActionModel(_params())
    c, g = np.array(m.population.cost), np.array(m.population.gamma)
    t = c / (1.0 - g)
    s = summarize(m).thresholds
    q10, q50, q90 = np.quantile(t, [0.1, 0.5, 0.9])
    assert s.min == pytest.approx(t.min(), rel=1e-12)
    assert s.max == pytest.approx(t.max(), rel=1e-12)
    assert s.median == pytest.approx(np.median(t), rel=1e-12)
    assert s.q10 == pytest.approx(q10, rel=1e-12)
    assert s.q90 == pytest.approx(q90, rel=1e-12)
    assert s.min < s.q10 < s.median < s.q90 < s.max
    assert s.cost_median == pytest.approx(np.median(c)) and s.gamma_median == pytest.approx(np.median(g))
    assert not s.homogeneous
    summ = summarize(m)
    assert summ.threshold_band == (s.q10, s.q90)
    assert (summ.threshold_min, summ.threshold_median, summ.threshold_max) == (s.min, s.median, s.max)


def test_an_even_population_interpolates_between_the_two_middle_workers():
    # 4 workers: thresholds 0.1, 0.2, 0.4, 0.8 → median 0.3; the 10% quantile sits 0.3 of the way from 0.1 to 0.2.
    costs = [0.4, 0.1, 0.2, 0.05]
    gammas = [0.5, 0.5, 0.5, 0.5]
    m = CollectiveActionModel(_params(n_workers=4, cost_dist="values", cost_params={"values": costs},
                                      gamma_dist="values", gamma_params={"values": gammas}, principal="none"))
    s = summarize(m).thresholds
    assert s.median == pytest.approx(0.3)
    assert s.q10 == pytest.approx(0.13)
    assert s.q90 == pytest.approx(0.68)
    assert (s.min, s.max) == (pytest.approx(0.1), pytest.approx(0.8))
    assert s.gamma_median == 0.5 and s.cost_median == pytest.approx(0.15)


def test_identical_workers_have_one_threshold_and_no_band():
    m = CollectiveActionModel(_params(cost_dist="constant", cost_params={"value": 0.2},
                                      gamma_dist="constant", gamma_params={"value": 0.6}))
    s = summarize(m).thresholds
    assert s.homogeneous
    assert s.min == s.q10 == s.median == s.q90 == s.max == pytest.approx(0.2 / 0.4)
    assert (s.cost_median, s.gamma_median) == (0.2, 0.6)


def test_free_riders_with_gamma_one_give_infinite_quantiles_not_nan():
    n = 10
    gammas = [0.5] * 5 + [1.0] * 5  # half never join: threshold c/(1 − 1) = ∞
    m = CollectiveActionModel(_params(n_workers=n, cost_dist="constant", cost_params={"value": 0.1},
                                      gamma_dist="values", gamma_params={"values": gammas}, principal="none"))
    s = summarize(m).thresholds
    assert s.min == pytest.approx(0.2) and s.q10 == pytest.approx(0.2)
    # The median lies between the 5th (0.2) and the 6th (∞) worker: ∞, as np.median says.
    assert np.median([0.2] * 5 + [np.inf] * 5) == np.inf
    assert s.median == math.inf and s.q90 == math.inf and s.max == math.inf


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_quantile_sorted_equals_numpy_on_finite_arrays(seed):
    rng = np.random.default_rng(seed)
    for size in (1, 2, 3, 10, 1001):
        t = np.sort(rng.lognormal(0.0, 1.0, size))
        for q in (0.0, 0.1, 0.25, 0.5, 0.9, 1.0):
            assert quantile_sorted(t, q) == pytest.approx(float(np.quantile(t, q)), rel=1e-12)
    with pytest.raises(ValueError):
        quantile_sorted(np.array([]), 0.5)
    with pytest.raises(ValueError):
        quantile_sorted(np.array([1.0]), 1.5)


def test_before_the_first_round_the_principal_has_no_assessment():
    m = CollectiveActionModel(_params())
    s = summarize(m)
    assert isinstance(s, ModelSummary)
    assert s.round == 0 and s.n_workers == 1500
    assert math.isnan(s.alpha_crit) and math.isnan(s.B_crit) and math.isnan(s.B_crit_total)
    assert s.principal == "cheapest"
    assert s.curve is m.principal_curve()


def test_after_rounds_the_summary_agrees_with_the_rows_and_the_population():
    m = CollectiveActionModel(_params(initial_alpha=0.01))
    rows = m.run(3)
    s = summarize(m)
    last = rows.iloc[-1]
    assert s.round == 3 == int(last["round"])
    assert s.members == int(np.count_nonzero(m.population.member)) == int(last["members_end"])
    assert s.alpha == pytest.approx(float(last["alpha_end"]))
    assert s.alpha_crit == float(last["alpha_crit"]) and math.isfinite(s.alpha_crit)
    assert s.B_crit == float(last["B_crit"]) and s.B_crit_total == pytest.approx(float(last["B_crit_total"]))
    assert s.principal_status == str(last["principal_status"])
    assert s.curve is m.principal.assessment.curve  # the curve the principal planned on
    # The rows' threshold columns and the summary are the same numbers.
    th = s.thresholds
    assert (th.min, th.median, th.max) == (last["threshold_min"], last["threshold_median"], last["threshold_max"])


def test_summarize_writes_nothing_onto_the_model_and_holds_it_only_weakly():
    m = CollectiveActionModel(_params())
    before = dict(vars(m))
    gc.collect()
    refs = sys.getrefcount(m)
    s1 = summarize(m)
    s2 = summarize(m)
    assert vars(m).keys() == before.keys()
    assert all(vars(m)[k] is v for k, v in before.items())
    assert s1.thresholds is s2.thresholds  # fixed values computed once per model
    with pytest.raises(dataclasses.FrozenInstanceError):
        s1.alpha = 0.5  # type: ignore[misc]
    # The per-model cache holds the model weakly: no new strong reference to it.
    # (Mesa itself keeps every model alive through Agent's id counters, so the model's
    # collection cannot be observed; its reference count can.)
    del s1, s2
    gc.collect()
    assert sys.getrefcount(m) == refs
    assert m in summary_module._fixed


def test_two_models_get_their_own_thresholds():
    a = CollectiveActionModel(_params(seed=1))
    b = CollectiveActionModel(_params(seed=1, cost_params={"low": 0.5, "high": 0.9}))
    ta, tb = summarize(a).thresholds, summarize(b).thresholds
    assert tb.median > ta.median
    assert ta.median == pytest.approx(np.median(a.population.cost / (1 - a.population.gamma)))
    assert tb.median == pytest.approx(np.median(b.population.cost / (1 - b.population.gamma)))


def test_a_new_curve_with_the_same_success_at_every_size_keeps_the_plan_and_a_changed_one_does_not(monkeypatch):
    """The principal re-plans only when S(k/N) changed at some k (all that its plan reads)."""
    from acsim.abm import principal as principal_module
    from acsim.theory.success_curve import SuccessCurve

    plans = []
    solve = principal_module.recruitment_plan
    monkeypatch.setattr(principal_module, "recruitment_plan", lambda *a, **k: plans.append(1) or solve(*a, **k))
    m = CollectiveActionModel(_params())
    n = m.population.n
    grid = np.arange(n + 1) / n
    first = m.principal.assess(m.principal_curve())
    same = SuccessCurve.from_samples(grid, m.principal_curve()(grid))  # a new object, equal on every k/N
    kept = m.principal.assess(same)
    assert kept.curve is same and len(plans) == 1
    lower = SuccessCurve.from_samples(grid, 0.8 * m.principal_curve()(grid))
    moved = m.principal.assess(lower)
    assert len(plans) == 2
    # Each against a principal that never saw another curve.
    for curve, got in ((same, kept), (lower, moved)):
        fresh = CollectiveActionModel(_params()).principal.assess(curve)
        assert (got.k_crit, got.k_stable, got.alpha_crit, got.B_crit, got.B_method) == \
            (fresh.k_crit, fresh.k_stable, fresh.alpha_crit, fresh.B_crit, fresh.B_method)
    assert (kept.k_crit, kept.B_crit) == (first.k_crit, first.B_crit)
    assert moved.B_crit != first.B_crit
