"""Several collectives in the resume experiments, and coordination noise (acsim.platform.collectives)."""

from __future__ import annotations

from dataclasses import asdict, replace

import numpy as np
import pytest

from acsim.platform import collectives as C
from acsim.platform.experiments import Curve, run_one
from acsim.platform.strategies import apply_strategy
from acsim.platform.text import RIVAL_TRIGGER, TRIGGER
from test_bow import corpus

BASE = Curve("feature-label", 0, 5, 20)


@pytest.fixture(scope="module")
def train():
    return corpus(1000, seed=20)


def _members(n: int, size: int = 400) -> np.ndarray:
    return np.sort(np.random.default_rng(1).choice(n, size=size, replace=False))


def test_one_collective_that_follows_is_the_paper_strategy(train):
    m = _members(len(train))
    data, groups = C.plant(train, m, BASE, seed=0)
    ref = apply_strategy(train, m, "feature-label", 0, trigger=TRIGGER, spacing=20)
    assert list(data.texts) == list(ref.texts) and (data.labels == ref.labels).all()
    assert len(groups) == 1 and (groups[0] == m).all()


def test_members_follow_with_probability_q(train):
    m = _members(len(train))
    # q = 0, nothing: nobody acts, the platform's data are the base data
    data, _ = C.plant(train, m, replace(BASE, coordination=0.0), seed=0)
    assert list(data.texts) == list(train.texts) and (data.labels == train.labels).all()
    # q = 0.5: about half the members carry the trigger and class 0 only
    data, _ = C.plant(train, m, replace(BASE, coordination=0.5), seed=0)
    planted = np.array([TRIGGER in data.texts[i] for i in m])
    assert 0.4 < planted.mean() < 0.6
    assert (data.labels[m[planted]].sum(axis=1) == 1).all() and data.labels[m[planted], 0].all()
    assert list(np.asarray(data.texts)[m[~planted]]) == list(np.asarray(train.texts)[m[~planted]])


def test_other_collectives_are_exclusive_and_plant_their_own_signal(train):
    curve = replace(BASE, others=(C.Other(0.1, 1, RIVAL_TRIGGER), C.Other(0.05, 2, "†")))
    m = _members(len(train), 200)
    data, groups = C.plant(train, m, curve, seed=3)
    assert [g.size for g in groups] == [200, 100, 50]
    everyone = np.concatenate(groups)
    assert np.unique(everyone).size == everyone.size  # membership is exclusive
    for g, trig, target in ((groups[1], RIVAL_TRIGGER, 1), (groups[2], "†", 2)):
        assert all(trig in data.texts[i] and TRIGGER not in data.texts[i] for i in g)
        assert data.labels[g, target].all() and (data.labels[g].sum(axis=1) == 1).all()


def test_strays_plant_the_wrong_spacing_or_another_trigger(train):
    m = _members(len(train))
    sparse, _ = C.plant(train, m, replace(BASE, coordination=0.0, noise="spacing"), seed=0)
    dense, _ = C.plant(train, m, BASE, seed=0)
    count = lambda d: np.mean([d.texts[i].count(TRIGGER) for i in m])  # noqa: E731
    assert 0 < count(sparse) < count(dense) / 2  # ~49 words: 1 trigger every 100th word against 3 every 20th
    other, _ = C.plant(train, m, replace(BASE, coordination=0.0, noise="other-trigger"), seed=0)
    assert all(RIVAL_TRIGGER in other.texts[i] and TRIGGER not in other.texts[i] for i in m)
    assert other.labels[m, 0].all()  # still their own target


def test_single_collective_run_ids_do_not_change():
    # A curve without further collectives, q = 1, is stored as it was before they existed.
    d = C.curve_params(BASE)
    assert "others" not in d and "coordination" not in d and "noise" not in d
    assert d == {k: v for k, v in asdict(BASE).items() if k not in ("others", "coordination", "noise")}
    more = C.curve_params(replace(BASE, others=(C.Other(0.01, 1),), coordination=0.5))
    assert more["others"] == [{"alpha": 0.01, "target": 1, "trigger": RIVAL_TRIGGER, "strategy": "feature-label"}]
    assert Curve(**more) == replace(BASE, others=(C.Other(0.01, 1),), coordination=0.5)  # a run's JSON comes back


def test_a_run_measures_every_collective(train):
    test = corpus(300, seed=21)
    curve = replace(BASE, others=(C.Other(0.05, 1),))
    row = run_one(train, test, curve, 50, "members", seed=0).row
    assert row["n_collectives"] == 2 and "others" not in row
    assert 0 <= row["success_inclusion_c2"] <= 1 and row["success_inclusion_c2"] > 0.5
    assert row["success_inclusion"] > 0.5


@pytest.mark.parametrize("kw, words", [
    (dict(coordination=1.5), "coordination must be in [0, 1]"),
    (dict(noise="loud"), "noise must be one of nothing, spacing, other-trigger"),
    (dict(others=({"alpha": 0.0, "target": 1},)), "alpha must be in (0, 1)"),
])
def test_bad_settings_name_themselves(kw, words):
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        replace(BASE, **kw)


def test_scenario_settings_are_checked_and_reach_the_curves():
    from acsim.runs.scenarios import ScenarioError, experiment_spec, parse_scenario

    text = '''kind = "experiment"\n[firm]\nkind = "bow"\n[experiment]\ncoordination = 0.7\nnoise = "spacing"
[[experiment.collectives]]\nalpha = 0.01\ntarget = 2\n'''
    spec = experiment_spec(parse_scenario(text, "x.toml").scenario)
    c = spec.curves[0]
    assert c.coordination == 0.7 and c.noise == "spacing" and c.others == (C.Other(0.01, 2),)
    for bad, words in (("[experiment]\ncoordination = 1.5", "experiment.coordination = 1.5 is outside [0, 1]"),
                       ("[[experiment.collectives]]\nalpha = 0\n", "experiment.collectives[0].alpha = 0 is outside (0, 1)")):
        with pytest.raises(ScenarioError) as info:
            parse_scenario('kind = "experiment"\n[firm]\nkind = "bow"\n' + bad, "x.toml")
        assert words in str(info.value)
