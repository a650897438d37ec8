"""The ensemble (acsim.abm.ensemble): many theory-firm runs stepped together give each run's own rows, bit for bit."""

from __future__ import annotations

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from acsim.abm import ensemble
from acsim.abm.model import CollectiveActionModel, ModelParams
from acsim.runs import batch as B

SIGMOID = {"curve": "sigmoid", "midpoint": 0.1, "slope": 60}
UNIFORM = {"cost_dist": "uniform", "cost_params": {"low": 0.05, "high": 0.35}}

# Each configuration a batch can hold: every stage's branch the ensemble takes (principal
# policies and stops, budgets, beliefs, logit choice, leaving switched off, the curves).
CONFIGS = {
    "quickstart": dict(n_workers=3000, **UNIFORM, gamma_params={"value": 0.5}, firm_params=SIGMOID, rounds=12),
    "investment grid": dict(n_workers=500, cost_params={"value": 0.2}, gamma_params={"value": 0.4}, principal="cheapest",
                            firm_params=SIGMOID, rounds=5, initial_alpha=0.0),
    "budget and cap": dict(n_workers=800, **UNIFORM, gamma_params={"value": 0.5}, principal="cheapest", budget=9.0,
                           recruits_per_round=20, margin=0.01, firm_params=SIGMOID, rounds=12, initial_alpha=0.0),
    "sustained stop": dict(n_workers=800, **UNIFORM, gamma_dist="beta", gamma_params={"a": 2.0, "b": 5.0},
                           principal="cheapest", principal_stop="sustained", firm_params=SIGMOID, rounds=10, initial_alpha=0.0),
    "target alpha": dict(n_workers=600, **UNIFORM, gamma_params={"value": 0.5}, principal="random",
                         principal_target_alpha=0.15, firm_params=SIGMOID, rounds=8, initial_alpha=0.0),
    "logit choice": dict(n_workers=700, **UNIFORM, gamma_params={"value": 0.5}, principal="cheapest", temperature=0.05,
                         firm_params=SIGMOID, rounds=15, initial_alpha=0.0),
    "target below the critical mass: reached, then unravels": dict(
        n_workers=700, **UNIFORM, gamma_params={"value": 0.5}, principal="cheapest", principal_target_alpha=0.06,
        firm_params=SIGMOID, rounds=15, initial_alpha=0.0),
    "no leaving, cheapest first members": dict(n_workers=900, **UNIFORM, gamma_params={"value": 0.5}, allow_leave=False,
                                               initial_selection="cheapest", firm_params=SIGMOID, rounds=6),
    "theory belief, bound curve": dict(n_workers=1000, **UNIFORM, gamma_params={"value": 0.3}, belief="theory",
                                       principal="hubs", network="barabasi_albert", principal_curve="bound", firm_params={"curve": "bound"},
                                       theory_params={"xi": 0.01}, rounds=6, initial_alpha=0.02),
    "finite-sample curve": dict(n_workers=2000, **UNIFORM, gamma_params={"value": 0.5}, principal="cheapest",
                                firm_params={"curve": "finite-sample"}, rounds=6, initial_alpha=0.01),
}


def one_by_one(params: list[ModelParams]) -> pd.DataFrame:
    frames = []
    for p in params:
        m = CollectiveActionModel(p)
        frames.append(m.run().reset_index(drop=True))
        m.close()
    return pd.concat(frames, ignore_index=True)


@pytest.mark.parametrize("name", list(CONFIGS))
def test_an_ensemble_gives_every_run_its_own_rows_bit_for_bit(name):
    base = ModelParams(**CONFIGS[name])
    params = [base.replace(seed=s, initial_alpha=a) for s in range(3) for a in (base.initial_alpha, 0.06, 0.12)]
    assert all(ensemble.why_not(p) is None for p in params)
    rows = ensemble.run_many(params)
    assert_frame_equal(rows, one_by_one(params), check_exact=True)


def test_a_reached_target_that_unravels_is_said_in_the_ensemble_too():
    base = ModelParams(**CONFIGS["target below the critical mass: reached, then unravels"])
    rows = ensemble.run_many([base.replace(seed=s) for s in range(3)])
    last = rows.groupby(rows.index // base.rounds).tail(1)
    assert {"reached", "unravelled"} <= set(rows["principal_status"]) and set(last["principal_status"]) == {"unravelled"}


def test_runs_that_need_their_own_model_are_refused_with_the_reason():
    assert "trains" in ensemble.why_not(ModelParams(firm="bow"))
    assert ensemble.why_not(ModelParams(network="barabasi_albert", belief="network")) == "network beliefs"
    assert ensemble.why_not(ModelParams(coordination=0.5)) == "coordination < 1"
    with pytest.raises(ValueError, match="same n_workers and rounds"):
        ensemble.run_many([ModelParams(n_workers=100), ModelParams(n_workers=200)])


def test_a_batch_steps_qualifying_runs_together_and_saves_them_in_one_chunk_file(tmp_path):
    runs = [B.RunSpec.make("model", {**CONFIGS["quickstart"], "initial_alpha": a}, s) for a in (0.05, 0.1) for s in range(3)]
    runs.append(B.RunSpec.make("model", {"n_workers": 300, "rounds": 3, "network": "barabasi_albert", "belief": "network"}, 0))
    result = B.execute(runs, tmp_path, executor="serial", progress=False, log=None)
    assert result.complete and result.computed == 7
    assert [result.infos[r.run_id]["chunk_runs"] for r in runs] == [6] * 6 + [1]  # one chunk per shape
    files = {p.name for p in (tmp_path / "runs").glob("*.parquet")}
    alone = f"{runs[-1].run_id}.parquet"
    assert len(files) == 2 and alone in files and next(iter(files - {alone})).startswith("chunk-")
    saved = B.read_runs(tmp_path)
    for r in runs:
        alone = B.execute_run(r)
        assert_frame_equal(result.frames[r.run_id], alone, check_exact=True)
        assert_frame_equal(saved[r.run_id], alone, check_exact=True)


def test_the_summary_is_each_runs_rows_read_off_first_last_and_over_all_rounds(tmp_path):
    """The summary is computed for all runs at once; here it is checked against pandas' groupby of the rounds."""
    from acsim.runs import outputs

    cfg = CONFIGS["target below the critical mass: reached, then unravels"]
    runs = [B.RunSpec.make("model", {**cfg, "principal_target_alpha": t}, s, {"t": t}) for t in (0.06, 0.2) for s in range(2)]
    runs.append(B.RunSpec.make("model", {"n_workers": 300, "rounds": 4, "network": "barabasi_albert", "belief": "network"}, 0))
    result = B.execute(runs, None, executor="serial", progress=False, log=None)
    rounds, summary = outputs.rounds_table(result), outputs.summary_table(result).set_index("run_id")
    g = rounds.groupby("run_id", sort=False)
    assert list(summary.index) == [r.run_id for r in runs]
    assert (summary["alpha_initial"] == g["alpha"].first()).all() and (summary["alpha_final"] == g["alpha_end"].last()).all()
    assert (summary["alpha_max"] == g["alpha_end"].max()).all() and (summary["recruits_total"] == g["recruits"].sum()).all()
    assert (summary["principal_unravelled"] == g["principal_status"].agg(lambda s: (s == "unravelled").any())).all()
    assert summary["principal_unravelled"].any() and not summary["principal_unravelled"].all()
    assert (summary["rounds"] == g.size()).all() and (summary["spend_total"] == g["spend_total"].last()).all()
    assert (summary["members_final"] == g["members_end"].last()).all() and summary["members_final"].dtype == "int64"
    assert list(summary["outcome"]) == ["unravelled" if a <= 0 else "everyone" if a >= 1 else "partial"
                                        for a in summary["alpha_final"]]


def test_a_resumed_chunk_gives_every_run_its_own_rows_whatever_order_it_was_saved_in(tmp_path):
    """A chunk saves the ensemble's runs first and the one-by-one runs after them; a rerun must
    read each run's rows back, not the rows at its position in the batch (review of issue 16)."""
    runs = [B.RunSpec.make("model", {"n_workers": 50, "rounds": 3, "coordination": q, "initial_alpha": 0.1}, s)
            for q in (0.5, 1.0) for s in range(2)]
    first = B.execute(runs, tmp_path, executor="serial", progress=False, log=None)
    assert len(list((tmp_path / "runs").glob("chunk-*.parquet"))) == 1
    again = B.execute(runs, tmp_path, executor="serial", progress=False, log=None)
    assert again.skipped == 4 and again.computed == 0
    for r in runs:
        assert_frame_equal(again.frames[r.run_id], first.frames[r.run_id], check_exact=True)
        assert_frame_equal(again.frames[r.run_id], B.execute_run(r), check_exact=True)
    part = B.execute(runs[1:3], tmp_path, executor="serial", progress=False, log=None)  # some of a file's runs
    for r in runs[1:3]:
        assert_frame_equal(part.frames[r.run_id], first.frames[r.run_id], check_exact=True)


def test_the_run_index_reads_a_rewritten_file_again(tmp_path):
    runs = [B.RunSpec.make("model", {"n_workers": 50, "rounds": 3}, s) for s in range(3)]
    B.execute(runs, tmp_path, executor="serial", progress=False, log=None)
    index = B.RunIndex.of(tmp_path)
    assert all(r.run_id in index for r in runs)
    chunk = next((tmp_path / "runs").glob("chunk-*.parquet"))
    chunk.unlink()
    assert not any(r.run_id in index.refresh() for r in runs)
    again = B.execute(runs, tmp_path, executor="serial", progress=False, log=None)
    assert again.computed == 3 and all(r.run_id in index.refresh() for r in runs)
