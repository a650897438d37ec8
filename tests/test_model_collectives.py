"""Several collectives on one platform (ModelParams.collectives) and coordination noise (coordination, noise)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from acsim.abm.collectives import OTHER_TRIGGERS
from acsim.abm.model import CollectiveActionModel
from acsim.platform.text import TRIGGER

SIGMOID = {"curve": "sigmoid", "midpoint": 0.1, "slope": 60.0}  # α_crit ≈ 0.093 for c/(1−γ) = 0.4


@pytest.mark.parametrize("first, second", [(0.2, 0.15), (0.15, 0.2)])
def test_the_larger_collective_takes_everyone(first, second):
    """Identical workers, both collectives past α_crit: each worker picks the larger S, so the larger wins."""
    m = CollectiveActionModel(n_workers=2000, firm_params=SIGMOID, initial_alpha=first,
                              collectives=[{"initial_alpha": second}], seed=0)
    df = m.run(5)
    pop = m.population
    assert not (pop.member & (pop.other > 0)).any()  # nobody is in two
    winner_first = first > second
    assert df["alpha_end"].iloc[-1] == (1.0 if winner_first else 0.0)
    assert df["alpha_end_c2"].iloc[-1] == (0.0 if winner_first else 1.0)
    # the loser's members defect in round 1: a leave from one is a join of the other
    r1 = df.iloc[0]
    assert (r1["leaves"] if not winner_first else r1["leaves_c2"]) == round(min(first, second) * 2000)


def _reference_choice(gains: np.ndarray, now: np.ndarray) -> np.ndarray:
    """The join rule over K collectives, one worker at a time (the brute-force reference)."""
    out = np.zeros(now.size, dtype=int)
    for i in range(now.size):
        g = gains[:, i]
        best = g.max()
        if best <= 0:
            continue
        tied = [j + 1 for j in range(g.size) if g[j] == best]
        out[i] = now[i] if now[i] in tied else tied[0]
    return out


def test_three_collectives_follow_the_join_rule_worker_by_worker():
    """Stage 3 with three collectives equals the rule applied to each worker in a loop (gains from the
    model's own beliefs), and membership stays exclusive."""
    m = CollectiveActionModel(n_workers=3000, cost_dist="uniform", cost_params={"low": 0.0, "high": 0.6},
                              firm_params=SIGMOID, initial_alpha=0.08,
                              collectives=[{"initial_alpha": 0.11}, {"initial_alpha": 0.12}], seed=4)
    pop = m.population
    for _ in range(3):
        now = np.where(pop.member, 1, pop.other)
        measured = m.firm.step(pop.member, pop.other, None)
        s = [measured.success_inclusion] + [x[2] for x in measured.others]
        gains = np.stack([(1 - pop.gamma) * si - pop.cost for si in s])  # empirical beliefs: b = S
        expect = _reference_choice(gains, now)
        m.decide(measured)
        got = np.where(pop.member, 1, pop.other)
        np.testing.assert_array_equal(got, expect)
        assert set(np.unique(got)) <= {0, 1, 2, 3}
    assert len(set(np.unique(got)) - {0}) >= 1


def test_each_collective_is_measured_at_its_own_size_and_counted_in_the_rows():
    m = CollectiveActionModel(n_workers=1000, firm_params=SIGMOID, initial_alpha=0.05, allow_leave=False,
                              collectives=[{"initial_alpha": 0.02}, {"initial_alpha": 0.3}], seed=0)
    df = m.run(2)
    r = df.iloc[0]
    assert (r["members_c2"], r["members_c3"]) == (20, 300)
    assert r["S_c3"] == pytest.approx(1 / (1 + np.exp(-60 * 0.2)))  # the curve at α = 0.3
    assert r["S_c2"] == pytest.approx(1 / (1 + np.exp(-60 * -0.08)))
    assert not (m.population.member & (m.population.other > 0)).any()
    assert int(np.count_nonzero(m.population.other == 3)) == df["members_end_c3"].iloc[-1]


def test_an_empty_further_collective_changes_nothing():
    kw = dict(n_workers=2000, cost_dist="uniform", cost_params={"low": 0.1, "high": 0.3}, firm_params=SIGMOID,
              initial_alpha=0.12, principal="cheapest", seed=3)
    alone = CollectiveActionModel(**kw).run(8)
    with_other = CollectiveActionModel(collectives=[{"initial_alpha": 0.0}], **kw).run(8)
    cols = ["alpha", "S", "joins", "leaves", "recruits", "alpha_end", "spend_total"]
    np.testing.assert_array_equal(alone[cols].to_numpy(), with_other[cols].to_numpy())
    assert "alpha_c2" not in alone and (with_other["alpha_end_c2"] == 0).all()


def test_the_principal_does_not_buy_other_collectives_members():
    m = CollectiveActionModel(n_workers=1000, firm_params=SIGMOID, initial_alpha=0.0,
                              collectives=[{"initial_alpha": 0.05}], principal="cheapest", allow_leave=False, seed=0)
    other0 = m.population.other == 2
    m.step()
    assert (m.population.other[other0] == 2).all() and not (m.population.member & other0).any()
    assert m.results()["recruits"].iloc[0] > 0


def _text(trigger: str | None, alpha: float = 0.05, **kw) -> CollectiveActionModel:
    other = {"initial_alpha": alpha, "target": 1, **({"trigger": trigger} if trigger else {})}
    return CollectiveActionModel(n_workers=1500, firm="bow", data_params={"n_train": 1500, "n_test": 400},
                                 initial_alpha=alpha, collectives=[other], allow_leave=False, seed=0, **kw)


def test_two_signals_both_steer_one_signal_is_fought_over():
    """bow firm: own triggers → both collectives succeed; the same trigger for two targets → neither does."""
    apart = _text(None).run(1).iloc[0]  # the second plants OTHER_TRIGGERS[0] for class 1
    shared = _text(TRIGGER).run(1).iloc[0]  # both plant the paper's dash, for classes 0 and 1
    assert apart["S"] > 0.7 and apart["S_c2"] > 0.7
    assert shared["S"] < apart["S"] - 0.3 and shared["S_c2"] < apart["S_c2"] - 0.3
    assert apart["S_source"] == shared["S_source"] == "trained:bow"


def test_a_third_collective_has_its_own_default_trigger_and_target():
    m = CollectiveActionModel(n_workers=1500, firm="bow", data_params={"n_train": 1500, "n_test": 400}, initial_alpha=0.05,
                              collectives=[{"initial_alpha": 0.05}, {"initial_alpha": 0.05}], allow_leave=False, seed=0)
    plans = m.firm.engine.plans
    assert [(pl.target, pl.trigger) for pl in plans] == [(0, TRIGGER), (1, OTHER_TRIGGERS[0]), (2, OTHER_TRIGGERS[1])]
    r = m.run(1).iloc[0]
    assert min(r["S"], r["S_c2"], r["S_c3"]) > 0.6  # three signals, three classes: each steers


def test_coordination_noise_lowers_success_of_a_text_firm():
    """q = 1 plants every member; q = 0.3 with 'nothing' plants about 30%; the bow firm's S falls."""
    kw = dict(n_workers=1500, firm="bow", data_params={"n_train": 1500, "n_test": 400}, initial_alpha=0.02,
              allow_leave=False, seed=0)
    full = CollectiveActionModel(**kw)
    noisy = CollectiveActionModel(coordination=0.3, **kw)
    assert full.population.follows is None
    f = noisy.population.follows[noisy.population.member]
    assert 0.1 < f.mean() < 0.5
    assert noisy.run(1)["S"].iloc[0] < full.run(1)["S"].iloc[0] - 0.2
    # q = 0 with an other-trigger stray: the first's dash is never planted
    none = CollectiveActionModel(coordination=0.0, noise="other-trigger", **kw).run(1)["S"].iloc[0]
    assert none < 0.2


def test_coordination_noise_draws_its_own_stream():
    """Runs that differ only in q share every other draw (costs, first members): their own stream."""
    kw = dict(n_workers=500, cost_dist="uniform", cost_params={"low": 0, "high": 0.5}, firm_params=SIGMOID,
              initial_alpha=0.2, seed=9)
    a, b = CollectiveActionModel(**kw), CollectiveActionModel(coordination=0.5, **kw)
    np.testing.assert_array_equal(a.population.cost, b.population.cost)
    np.testing.assert_array_equal(a.population.member, b.population.member)


def test_a_theory_firm_sees_the_followers_share_and_the_principal_plans_on_it():
    m = CollectiveActionModel(n_workers=4000, firm_params=SIGMOID, initial_alpha=0.2, coordination=0.5, allow_leave=False, seed=1)
    followers = np.count_nonzero(m.population.member & m.population.follows) / 4000  # before anyone joins
    r = m.run(1).iloc[0]
    assert 0.08 < followers < 0.12
    assert r["alpha"] == 0.2 and r["S"] == pytest.approx(1 / (1 + np.exp(-60 * (followers - 0.1))))
    planning = m.firm.success_curve()
    assert float(planning(0.2)) == pytest.approx(1 / (1 + np.exp(-60 * 0.0)), abs=1e-6)  # S(qα) at α = 0.2, q = 0.5


@pytest.mark.parametrize(
    "kw, words",
    [({"collectives": [{"initial_alpha": 1.5}]}, "collectives[0].initial_alpha"),
     ({"collectives": [{"initial_alpha": 0.3}, {"initial_alpha": 0.3}]}, "collectives[1].initial_alpha = 0.3 makes the collectives' initial shares sum to 1.1"),
     ({"collectives": [{"size": 0.1}]}, "unknown key collectives[0].size (allowed: initial_alpha, spacing, strategy, target, trigger)"),
     ({"collectives": [{"trigger": "two words"}]}, "collectives[0].trigger"),
     ({"collectives": [{"spacing": 0}]}, "collectives[0].spacing"),
     ({"collectives": [{"strategy": "erasure"}]}, "collectives[0].strategy"),
     ({"collectives": ["big"]}, "collectives[0]"),
     ({"collectives": [{}] * 5}, "collectives[4].trigger"),
     ({"coordination": 1.2}, "coordination = 1.2 is outside [0, 1]"),
     ({"noise": "loud"}, "noise"),
     ({"coordination": 0.5, "noise": "spacing"}, 'noise = "spacing" needs a text firm')],
)
def test_bad_collective_settings_are_named(kw, words):
    with pytest.raises(ValueError, match=re.escape(words)):
        CollectiveActionModel(n_workers=100, firm_params=SIGMOID, initial_alpha=0.5, **kw)


def test_further_collectives_need_a_firm_with_several_signals():
    with pytest.raises(ValueError, match=r"collectives = \[.*\] needs firm = 'theory' or a text firm"):
        CollectiveActionModel(n_workers=100, firm="bayes", collectives=[{"initial_alpha": 0.1}])
    with pytest.raises(ValueError, match=re.escape("collectives[0].target = 10 is outside [0, 9] (a class of the corpus)")):
        CollectiveActionModel(n_workers=300, firm="bow", data_params={"n_train": 300, "n_test": 100},
                              collectives=[{"target": 10}])


def test_a_theory_firm_reads_a_further_collectives_own_strategy():
    m = CollectiveActionModel(n_workers=1000, initial_alpha=0.05, allow_leave=False, theory_params={"xi": 0.01, "p": 0.5},
                              collectives=[{"initial_alpha": 0.05}, {"initial_alpha": 0.05, "strategy": "feature-only"}], seed=0)
    r = m.run(1).iloc[0]
    assert r["S_c2"] == pytest.approx(r["S"])  # same size, same strategy: the same bound
    assert r["S_c3"] != pytest.approx(r["S"])  # Theorem 3, not Theorem 1


def test_acsim_run_tables_every_collective_and_refuses_the_old_rival_section(tmp_path):
    import json
    import os
    import subprocess
    import sys

    import pandas as pd

    scen = tmp_path / "three.toml"
    scen.write_text('rounds = 3\n[population]\nn = 800\ncost = { dist = "uniform", low = 0.05, high = 0.4 }\n'
                    '[collective]\ninitial_alpha = 0.1\n[[collectives]]\ninitial_alpha = 0.12\n[[collectives]]\ninitial_alpha = 0.08\n'
                    '[firm]\ncurve = "sigmoid"\nmidpoint = 0.1\nslope = 60\n[sweep]\n"collective.coordination" = [1.0, 0.5]\n')
    out = tmp_path / "out"
    run = [sys.executable, "-m", "acsim", "run", str(scen), "--out", str(out), "--no-figures", "--no-progress", "--executor", "serial"]
    env = dict(os.environ)
    r = subprocess.run(run, capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 0, r.stderr
    assert "c2 α" in r.stdout and "c3 α" in r.stdout and "(800)" in r.stdout  # a start and an end column each; 800 = everyone
    summary = pd.read_parquet(out / "summary.parquet")
    assert {"alpha_final_c2", "alpha_final_c3", "S_final_c3"} <= set(summary.columns)
    rounds = pd.read_parquet(out / "rounds.parquet")
    assert (rounds["members_c2"].iloc[0], rounds["members_c3"].iloc[0]) == (96, 64)
    assert json.loads((out / "manifest.json").read_text())  # a finished batch
    scen.write_text("[rival]\ninitial_alpha = 0.1\n")
    r = subprocess.run(run, capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 2 and "[rival] is now [[collectives]]" in r.stderr and "Traceback" not in r.stderr
