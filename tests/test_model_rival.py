"""Two collectives on one platform (ModelParams.rival): competition for members and for the signal."""

from __future__ import annotations

import re
import numpy as np
import pytest

from acsim.abm.model import CollectiveActionModel
from acsim.platform.text import TRIGGER

SIGMOID = {"curve": "sigmoid", "midpoint": 0.1, "slope": 60.0}  # α_crit ≈ 0.093 for c/(1−γ) = 0.4


@pytest.mark.parametrize("first, second", [(0.2, 0.15), (0.15, 0.2)])
def test_the_larger_collective_takes_everyone(first, second):
    """Identical workers, both collectives past α_crit: each worker picks the larger S, so the larger wins."""
    m = CollectiveActionModel(n_workers=2000, firm_params=SIGMOID, initial_alpha=first,
                              rival={"initial_alpha": second}, seed=0)
    df = m.run(5)
    pop = m.population
    assert not (pop.member & pop.rival).any()  # nobody is in both
    winner_first = first > second
    assert df["alpha_end"].iloc[-1] == (1.0 if winner_first else 0.0)
    assert df["rival_alpha_end"].iloc[-1] == (0.0 if winner_first else 1.0)
    # the loser's members defect in round 1: a leave from one is a join of the other
    r1 = df.iloc[0]
    assert (r1["leaves"] if not winner_first else r1["rival_leaves"]) == round(min(first, second) * 2000)


def test_an_empty_rival_changes_nothing():
    kw = dict(n_workers=2000, cost_dist="uniform", cost_params={"low": 0.1, "high": 0.3}, firm_params=SIGMOID,
              initial_alpha=0.12, principal="cheapest", seed=3)
    alone = CollectiveActionModel(**kw).run(8)
    with_rival = CollectiveActionModel(rival={"initial_alpha": 0.0}, **kw).run(8)
    cols = ["alpha", "S", "joins", "leaves", "recruits", "alpha_end", "spend_total"]
    np.testing.assert_array_equal(alone[cols].to_numpy(), with_rival[cols].to_numpy())
    assert alone["rival_alpha"].isna().all() and (with_rival["rival_alpha_end"] == 0).all()


def test_the_principal_does_not_buy_the_rivals_members():
    m = CollectiveActionModel(n_workers=1000, firm_params=SIGMOID, initial_alpha=0.0, rival={"initial_alpha": 0.05},
                              principal="cheapest", allow_leave=False, seed=0)
    rival0 = m.population.rival.copy()
    m.step()
    assert (m.population.rival[rival0]).all() and not (m.population.member & rival0).any()
    assert m.results()["recruits"].iloc[0] > 0


def _text(trigger: str | None, alpha: float = 0.05) -> "CollectiveActionModel":
    rival = {"initial_alpha": alpha, "target": 1, **({"trigger": trigger} if trigger else {})}
    return CollectiveActionModel(n_workers=1500, firm="bow", data_params={"n_train": 1500, "n_test": 400},
                                 initial_alpha=alpha, rival=rival, allow_leave=False, seed=0)


def test_two_signals_both_steer_one_signal_is_fought_over():
    """bow firm: own triggers → both collectives succeed; the same trigger for two targets → neither does."""
    apart = _text(None).run(1).iloc[0]  # the rival plants RIVAL_TRIGGER for class 1
    shared = _text(TRIGGER).run(1).iloc[0]  # both plant the paper's dash, for classes 0 and 1
    assert apart["S"] > 0.7 and apart["rival_S"] > 0.7
    assert shared["S"] < apart["S"] - 0.3 and shared["rival_S"] < apart["rival_S"] - 0.3
    assert apart["S_source"] == shared["S_source"] == "trained:bow"


@pytest.mark.parametrize(
    "rival, words",
    [({"initial_alpha": 1.5}, "rival.initial_alpha"),
     ({"initial_alpha": 0.6}, "at most 1 - initial_alpha"),
     ({"size": 0.1}, "unknown key rival.size (allowed: initial_alpha, target, trigger, spacing)"),
     ({"trigger": "two words"}, "rival.trigger"),
     ({"spacing": 0}, "rival.spacing"),
     ("big", "rival")],
)
def test_bad_rival_settings_are_named(rival, words):
    with pytest.raises(ValueError, match=re.escape(words)):
        CollectiveActionModel(n_workers=100, firm_params=SIGMOID, initial_alpha=0.5, rival=rival)


def test_a_rival_needs_a_firm_with_two_signals():
    with pytest.raises(ValueError, match="rival needs firm"):
        CollectiveActionModel(n_workers=100, firm="bayes", rival={"initial_alpha": 0.1})
    with pytest.raises(ValueError, match=r"rival.target"):
        CollectiveActionModel(n_workers=300, firm="bow", data_params={"n_train": 300, "n_test": 100},
                              rival={"target": 10})
