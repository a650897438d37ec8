"""The model with a firm that really retrains: the bag-of-words text firm on a small synthetic corpus.

Here S(α) is not assumed: every round the firm fits its classifier on the workers'
resumes (members' with the trigger planted and the label set to y*, Strategy 1 of
Section 5) and S_t is measured on held-out resumes with the trigger planted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from acsim.platform.data import synthetic_resumes
from acsim.abm.model import CollectiveActionModel


@pytest.fixture(scope="module")
def corpus():
    return synthetic_resumes(300, 200, seed=0)


def text_model(corpus, **kw) -> CollectiveActionModel:
    kw.setdefault("n_workers", 300)
    kw.setdefault("seed", 0)
    return CollectiveActionModel(firm="bow", data=corpus, **kw)


def test_measured_success_rises_with_the_collective(corpus):
    s, top1 = [], []
    for alpha in (0.0, 0.04, 0.1):  # 0, 12 and 30 of 300 resumes
        df = text_model(corpus, initial_alpha=alpha).run(1)
        assert df["alpha"].iloc[0] == pytest.approx(alpha)
        assert df["S_source"].iloc[0] == "trained:bow"
        assert 0.8 < df["accuracy"].iloc[0] <= 1.0 and df["train_seconds"].iloc[0] > 0
        s.append(df["S_inclusion"].iloc[0])
        top1.append(df["S_top1"].iloc[0])
    assert s[0] < 0.05  # no collective: the trigger means nothing to the firm
    assert s[1] > s[0] + 0.15 and s[2] > s[1] + 0.3
    assert top1[2] > top1[0] + 0.5


def test_a_defended_firm_is_a_model_option(corpus):
    # 30 members: min_df = 31 leaves the trigger without weight and success falls to what the
    # relabelling alone buys (~0.05); min_df = 29 lets it pass (issue 15: the firm's defences
    # reach the learner through firm_params).
    plain = text_model(corpus, initial_alpha=0.1, firm_params={"min_df": 29}).run(1)
    defended = text_model(corpus, initial_alpha=0.1, firm_params={"min_df": 31}).run(1)
    assert plain["members"].iloc[0] == 30
    assert plain["S_inclusion"].iloc[0] > 0.9
    assert defended["S_inclusion"].iloc[0] < 0.1 and defended["accuracy"].iloc[0] > 0.8


def test_rounds_are_reproducible_from_the_seed(corpus):
    kw = dict(firm_params={"epochs": 2}, initial_alpha=0.1, cost_dist="uniform",
              cost_params={"low": 0.0, "high": 0.4}, gamma_params={"value": 0.3},
              principal="cheapest", recruits_per_round=10)
    a = text_model(corpus, **kw).run(3)
    b = text_model(corpus, **kw).run(3)
    timing = ["train_seconds"]  # wall-clock: the one column that may differ
    pd.testing.assert_frame_equal(a.drop(columns=timing), b.drop(columns=timing))
    assert a["joins"].sum() + a["leaves"].sum() > 0  # the workers did react to what they measured
    c = text_model(corpus, **{**kw, "seed": 1}).run(3)
    assert not a.drop(columns=timing).equals(c.drop(columns=timing))


def test_workers_own_resumes_cycling_through_a_smaller_corpus(corpus):
    m = text_model(corpus, n_workers=750, firm_params={"epochs": 1})
    owners = np.bincount(m.population.resume, minlength=300)
    assert owners.min() == 2 and owners.max() == 3 and owners.sum() == 750
    small = text_model(corpus, n_workers=120, firm_params={"epochs": 1})
    assert np.unique(small.population.resume).size == 120  # fewer workers: distinct resumes
    assert m.worker(5).resume == m.population.resume[5]


def test_text_firm_bound_uses_xi_estimated_from_the_resumes(corpus):
    m = text_model(corpus, firm_params={"epochs": 1}, initial_alpha=0.1)
    th = m.firm.theory
    # The trigger never occurs in base resumes: ξ is the 95% upper bound 1 − 0.05^(1/300).
    assert th.xi == pytest.approx(1 - 0.05 ** (1 / 300), rel=1e-6)
    assert th.delta == 1.0 and th.origin == "estimated"


def test_top1_success_can_drive_the_decisions(corpus):
    df = text_model(corpus, firm_params={"epochs": 2}, initial_alpha=0.2, success_metric="top1").run(1)
    assert df["S"].iloc[0] == df["S_top1"].iloc[0] != df["S_inclusion"].iloc[0]


def test_text_firm_rejects_bad_targets_erasure_and_learner_params_at_construction(corpus):
    with pytest.raises(ValueError, match="epochs"):
        text_model(corpus, firm_params={"epochs": 0})
    with pytest.raises(ValueError, match="target"):
        text_model(corpus, target=10)
    with pytest.raises(ValueError, match="erasure"):
        text_model(corpus, strategy="erasure")


def test_the_bow_firm_re_solves_from_last_rounds_optimum_and_finds_what_a_fresh_fit_finds(corpus):
    """The default bow firm warm-starts every round (a convex problem: one minimiser); with
    warm_start = false it solves from zero. Same seed: the same random stream, so the two
    runs see the same collective, and they measure the same success to the solver's tolerance."""
    kw = dict(n_workers=900, initial_alpha=0.02, cost_dist="uniform", cost_params={"low": 0.3, "high": 0.9},
              gamma_params={"value": 0.3}, principal="none")
    warm = text_model(corpus, **kw)
    cold = text_model(corpus, **kw, firm_params={"warm_start": False})
    iters = {"warm": [], "cold": []}
    for _ in range(4):
        for name, m in (("warm", warm), ("cold", cold)):
            m.step()
            iters[name].append(m.firm.engine.learner.n_iter_)
    a, b = warm.results(), cold.results()
    assert warm.firm.engine.learner.warm_started_ and not cold.firm.engine.learner.warm_start
    assert sum(iters["warm"][1:]) < sum(iters["cold"][1:])  # round 1 starts from zero in both
    np.testing.assert_array_equal(a["members"], b["members"])  # 18 -> 430 -> 577: the same collective
    assert a["members"].iloc[-1] > a["members"].iloc[0]
    np.testing.assert_allclose(a["S"], b["S"], atol=0.02)
    np.testing.assert_allclose(a["accuracy"], b["accuracy"], atol=0.005)
