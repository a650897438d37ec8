"""ModelParams: every out-of-range field raises a ValueError that names it."""

from __future__ import annotations

import math

import numpy as np
import pytest

from acsim.abm.model import CollectiveActionModel, ModelParams, draw


@pytest.mark.parametrize(
    "kw,field",
    [
        ({"n_workers": 0}, "n_workers"),
        ({"n_workers": 2.5}, "n_workers"),
        ({"cost_dist": "pareto"}, "cost_dist"),
        ({"cost_params": {"value": -0.1}}, "cost_params.value"),
        ({"cost_dist": "uniform", "cost_params": {"low": 0.3, "high": 0.1}}, "cost_params.high"),
        ({"cost_dist": "uniform", "cost_params": {"low": 0.1}}, "cost_params"),
        ({"cost_dist": "beta", "cost_params": {"a": 0, "b": 1}}, "cost_params.a"),
        ({"cost_dist": "lognormal", "cost_params": {"mean": 0, "sigma": -1}}, "cost_params.sigma"),
        ({"cost_dist": "values", "cost_params": {"values": [0.1, 0.2]}}, "cost_params.values"),
        ({"gamma_params": {"value": 1.5}}, "gamma_params.value"),
        ({"gamma_dist": "beta", "gamma_params": {"a": 1, "b": 1, "loc": 0.5, "scale": 0.8}}, "gamma_params.scale"),
        ({"initial_alpha": 1.2}, "initial_alpha"),
        ({"initial_selection": "loudest"}, "initial_selection"),
        ({"strategy": "bribery"}, "strategy"),
        ({"target": -1}, "target"),
        ({"firm": "oracle"}, "firm"),
        ({"firm_params": {"curve": "sigmoid", "slope": 3}}, "firm_params.midpoint"),
        ({"firm_params": {"curve": "cubic"}}, "firm_params.curve"),
        ({"firm_params": {"epochs": 3}}, "firm_params"),
        ({"firm": "bayes", "firm_params": {"eps": 0.7}}, "firm_params.eps"),
        ({"success_metric": "f1"}, "success_metric"),
        ({"theory_params": {"xi": -1}}, "theory_params.xi"),
        ({"theory_params": {"eps": 0.5}}, "theory_params.eps"),
        ({"theory_params": {"zeta": 1}}, "theory_params"),
        ({"belief": "oracle"}, "belief"),
        ({"prior_belief": 2}, "prior_belief"),
        ({"network": "lattice"}, "network"),
        ({"network": "barabasi_albert", "network_params": {"m": 0}}, "network_params.m"),
        ({"network": "erdos_renyi", "network_params": {"p": 3}}, "network_params.p"),
        ({"network": "watts_strogatz", "network_params": {"q": 1}}, "network_params"),
        ({"principal": "lottery"}, "principal"),
        ({"budget": -1}, "budget"),
        ({"margin": -0.1}, "margin"),
        ({"recruits_per_round": 0}, "recruits_per_round"),
        ({"principal_curve": "fit"}, "principal_curve"),
        ({"principal_target_alpha": 0.0}, "principal_target_alpha"),
        ({"temperature": -1}, "temperature"),
        ({"rounds": 0}, "rounds"),
        ({"seed": -3}, "seed"),
        ({"worker_agents": -1}, "worker_agents"),
        ({"belief": "network"}, "network"),
        ({"principal": "hubs"}, "network"),
    ],
)
def test_out_of_range_fields_name_themselves(kw, field):
    with pytest.raises(ValueError, match=field.replace(".", r"\.")):
        ModelParams(**kw)


def test_given_curve_needs_theory_params_for_theory_beliefs():
    with pytest.raises(ValueError, match="theory_params"):
        CollectiveActionModel(firm_params={"curve": lambda a: a}, belief="theory", seed=0)
    m = CollectiveActionModel(firm_params={"curve": lambda a: a}, belief="theory", seed=0, theory_params={"xi": 0.01})
    assert m.firm.source == "curve:custom"


def test_distributions_draw_in_their_support():
    rng = np.random.default_rng(0)
    c = draw("lognormal", {"mean": math.log(0.2), "sigma": 1.0}, 10_000, rng)
    assert c.min() > 0 and np.median(c) == pytest.approx(0.2, rel=0.05)
    g = draw("lognormal", {"mean": 0.0, "sigma": 1.0}, 10_000, rng, unit=True)
    assert g.max() == 1.0 and g.min() > 0  # γ truncated at 1
    b = draw("beta", {"a": 2, "b": 2, "loc": 0.1, "scale": 0.5}, 10_000, rng, unit=True)
    assert 0.1 <= b.min() and b.max() <= 0.6 and b.mean() == pytest.approx(0.35, abs=0.01)
    u = draw("uniform", {"low": 0.1, "high": 0.3}, 10_000, rng)
    assert 0.1 <= u.min() and u.max() <= 0.3
