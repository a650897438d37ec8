"""A page's model does round 1's first work as it is built, and says what it is doing.

The bow firm's first round used to tokenize the whole corpus (and a principal's probes
trained the firm eight times) after the first click, behind one status line. Now
:meth:`CollectiveActionModel.prepare` runs while the page opens, the session shows what
the work reports (:mod:`acsim.progress`), and no number changes.
"""

from __future__ import annotations

import threading

import pandas as pd
import pytest

from acsim.abm.model import CollectiveActionModel, ModelParams
from acsim.platform.learners.counts import DEFAULT_CACHE, clear_cache
from acsim.progress import Progress, report, watching
from dashboard.session import Session

N, N_TEST = 300, 100


def _bow(**kw) -> ModelParams:
    base = dict(n_workers=N, firm="bow", data_params={"n_test": N_TEST}, principal_probes=3, cost_dist="uniform",
                cost_params={"low": 0.05, "high": 0.35}, gamma_dist="uniform", gamma_params={"low": 0.3, "high": 0.7},
                network="none", principal="cheapest", recruits_per_round=15, seed=5, rounds=3)
    base.update(kw)
    return ModelParams(**base)


def test_reports_reach_only_the_watcher_of_their_own_thread():
    here: list[Progress] = []
    there: list[Progress] = []
    report("nobody watches")  # a no-op
    with watching(here.append):
        report("Tokenizing resumes", 0, 10_000)
        t = threading.Thread(target=lambda: report("another thread's work"))
        t.start()
        t.join()
        with watching(there.append):
            report("inner")
        report("outer again")
    report("after")
    assert [str(p) for p in here] == ["Tokenizing resumes: 0 of 10,000", "outer again"]
    assert [str(p) for p in there] == ["inner"]


def test_prepare_changes_no_number():
    clear_cache()
    plain = CollectiveActionModel(_bow()).run(2)
    prepared = CollectiveActionModel(_bow())
    prepared.prepare()
    rows = prepared.run(2)
    pd.testing.assert_frame_equal(rows.drop(columns="train_seconds"), plain.drop(columns="train_seconds"))


def test_the_session_builds_with_progress_and_round_one_only_trains():
    clear_cache()
    details: list[str] = []
    shares: list[float | None] = []
    s = Session(progress_every=0.0)

    def notify() -> None:
        st = s.status()
        details.append(st.detail)
        shares.append(st.share)

    s._notify = notify
    s.reset(_bow())
    st = s.wait_idle(120)
    assert st.error is None and st.phase == "ready" and st.round == 0
    seen = [d for d in dict.fromkeys(details) if d]
    assert "Loading the corpus (synthetic)" in seen
    assert f"Tokenizing resumes: 0 of {N:,}" in seen
    assert any(d.startswith("Principal's probes: training the firm with 0 members: 0 of ") for d in seen)
    assert seen.index("Loading the corpus (synthetic)") < seen.index(f"Tokenizing resumes: 0 of {N:,}")
    assert st.detail == "" and st.share is None  # nothing runs now
    probes = [x for d, x in zip(details, shares) if d.startswith("Principal's probes")]
    assert probes[0] == 0.0 and probes[-1] == pytest.approx(2 / 3)  # 3 probes: 0, 1 and 2 of them done
    # Round 1 tokenizes only what the collective and the trigger changed: the test set with the
    # trigger planted (N_TEST texts) and the members' rewritten resumes, never the N clean ones.
    members = int(s.snapshot.members)
    before = DEFAULT_CACHE.misses
    assert s.step()
    st = s.wait_idle(120)
    assert st.round == 1 and st.error is None
    assert DEFAULT_CACHE.misses - before <= N_TEST + members
    s.close()
    s.join(60)
