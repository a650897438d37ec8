"""The text firm's engine: a learner retrained on the workers' resumes every round (stages 1-2)."""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from acsim.abm import collectives
from acsim.abm.collectives import Plan
from acsim.abm.engines import Measurement
from acsim.abm.fields import as_error, bad
from acsim.platform.learners import make_learner
from acsim.platform.metrics import evaluate
from acsim.platform.collectives import act
from acsim.platform.strategies import estimate_positivity, estimate_xi
from acsim.platform.text import TRIGGER, TRIGGER_SPACING
from acsim.progress import report
from acsim.theory.economics import SuccessCurve, as_success_curve
from acsim.theory.strategy import Strategy
from acsim.theory.theorem_bound import TheoryBound, theory_bound

if TYPE_CHECKING:
    from acsim.abm.params import ModelParams
    from acsim.platform.data.base import TextDataset


class TextEngine:
    """A text firm (``bow`` or ``transformer``) trained on the N workers' resumes every round.

    Worker i owns resume ``resume[i]`` of the training corpus; the platform's data is one
    row per worker, members' rows passed through the collective's strategy
    (:func:`acsim.platform.strategies.apply_strategy`). The firm is a fresh learner each round
    (seed drawn from the model's generator; with ``warm_start=True`` one learner refitted
    every round), evaluated on the held-out test corpus with the trigger planted
    (:func:`acsim.platform.metrics.evaluate`).

    The bow firm (newton solver, the default) re-solves its convex problem every round
    starting from the previous round's optimum, as scikit-learn's ``warm_start``: the
    problem has one minimiser, so the firm is the same to the solver's tolerance, reached
    in 1-3 Newton steps instead of 11-14 from zero (``tests/test_bow_distinct.py``);
    ``warm_start=false`` in the firm's parameters restores the fit from zero. The
    principal's probes chain the same way, smallest collective first.
    """

    def __init__(
        self,
        kind: str,
        learner_params: Mapping[str, Any],
        train: "TextDataset",
        test: "TextDataset",
        resume: np.ndarray,
        strategy: Strategy,
        target: int,
        spacing: int | None,
        theory_params: Mapping[str, float],
        rng: np.random.Generator,
    ) -> None:
        self.kind = kind
        self.trained = True
        self.source = f"trained:{kind}"
        self.learner_params = dict(learner_params)
        self.test = test
        self.strategy = strategy
        self.target = int(target)
        self.trigger = TRIGGER
        self.spacing = TRIGGER_SPACING if spacing is None else int(spacing)
        self.rng = rng
        # Every collective's plan, the first's first; the model appends the further ones
        # (acsim.abm.collectives.plans) and sets how strays deviate (noise).
        self.plans: list[Plan] = [Plan(strategy.value, self.target, self.trigger, self.spacing)]
        self.noise = "nothing"
        self.follows: np.ndarray | None = None
        self.base = train.subset(resume)  # the platform's clean data: one row per worker
        owned = np.unique(resume)
        self.theory_given = dict(theory_params)
        # ξ from the workers' own (clean) resumes: the conservative upper confidence bound,
        # since the trigger is typically never seen (k = 0) and the plug-in would be 0.
        self.xi_hat = float(estimate_xi([train.texts[i] for i in owned], self.trigger))
        self.p_hat: float | None = None
        self.alpha = 0.0
        # Built now so that bad learner parameters fail at construction, not at round 1.
        # A learner with warm_start=True (transformer) is kept and refitted every round
        # (a firm that keeps fine-tuning); otherwise each round fits a fresh one.
        self.warm = bool(self.learner_params.get("warm_start", False))
        self.learner = make_learner(kind, **{"seed": int(rng.integers(2**31 - 1)), **self.learner_params})
        # A convex firm's warm start changes where the solver starts, not what it finds (class docstring).
        self.convex_warm = kind == "bow" and getattr(self.learner, "solver", None) == "newton" \
            and "warm_start" not in self.learner_params
        if self.convex_warm:
            self.learner_params["warm_start"] = True
            self.learner.warm_start = self.warm = True
        self._seconds = 0.0
        self._bound: TheoryBound | None = None
        self._curve: SuccessCurve | None = None
        self._bound_key: tuple | None = None
        self._refresh_bound()
        # What is known of this firm's S(α): (α, top-1, inclusion) from the principal's
        # probes and from every measured round (the principal plans on observed_curve).
        self.samples: list[tuple[float, float, float]] = []
        self.probed = False
        self._observed: tuple[int, str, SuccessCurve] | None = None

    def _refresh_bound(self) -> None:
        defaults = {"xi": self.xi_hat, "delta": 1.0, "eps": 0.0, "p": self.p_hat}
        if self.strategy is Strategy.FEATURE_ONLY and "p" not in self.theory_given and self.p_hat is None:
            defaults["p"] = 1.0  # until a firm has been fitted; replaced after the first round
        b = theory_bound(self.strategy, self.theory_given, defaults, origin="estimated")
        key = (b.xi, b.delta, b.p, b.tau, b.eps)
        if key != self._bound_key:
            self._bound, self._bound_key, self._curve = b, key, None

    @property
    def theory(self) -> TheoryBound:
        assert self._bound is not None
        return self._bound

    def _platform_data(self, member: np.ndarray, other: np.ndarray | None, follows: np.ndarray | None) -> "TextDataset":
        """The platform's rows after every collective acts on its own (disjoint) rows: followers
        by their plan, the others by ``noise`` (:func:`acsim.platform.collectives.act`)."""
        k = len(self.plans) - 1
        # (A probe plants the first collective alone; the others' rows are then empty, but a
        # stray's "other trigger" is still the second collective's, as in the rounds.)
        rows = collectives.groups(member, other, k) if other is not None else [np.flatnonzero(member)] + [np.empty(0, np.int64)] * k
        follow = [np.ones(r.size, dtype=bool) if follows is None else follows[r] for r in rows]
        return act(self.base, rows, [pl.as_tuple() for pl in self.plans], follow, self.noise)

    def retrain(self, member: np.ndarray, other: np.ndarray | None = None, follows: np.ndarray | None = None) -> None:
        self.alpha = float(np.count_nonzero(member)) / member.size
        self.follows = follows
        self.others_alpha = [float(np.count_nonzero(other == j)) / other.size for j in range(2, len(self.plans) + 1)] \
            if other is not None else []
        data = self._platform_data(member, other, follows)
        # Drawn even when the kept learner is refitted: the model's random stream (joins, recruits)
        # then does not depend on whether the firm warm-starts.
        seed = int(self.rng.integers(2**31 - 1))
        learner = self.learner if self.warm else make_learner(self.kind, **{"seed": seed, **self.learner_params})
        t0 = time.perf_counter()
        learner.fit(data)
        self._seconds = time.perf_counter() - t0
        self.learner = learner

    def warm_up(self) -> None:
        """Tokenize (or embed) the platform's resumes and the test set now: what the first
        training would start with. Caching only: no number changes."""
        for what, data in (("the platform's resumes", self.base), ("the test resumes", self.test)):
            report(f"Preparing {what} for the {self.kind} firm")
            self.learner.prepare(data)

    def measure_others(self) -> tuple[tuple[float, float, float], ...]:
        """(α, top-1, inclusion) of each further collective, measured with its own trigger and target."""
        out = []
        for a, pl in zip(self.others_alpha, self.plans[1:]):
            m = evaluate(self.learner, self.test, pl.target, trigger=pl.trigger, spacing=pl.spacing)
            out.append((a, float(m["success_top1"]), float(m["success_inclusion"])))
        return tuple(out)

    def probe(self, counts: np.ndarray, rng: np.random.Generator) -> None:
        """Retrain the firm's learner offline with collectives of ``counts`` members (random
        workers, the strategy applied as in :meth:`retrain`) and record the success of each.

        This is what a principal who knows the platform's data and the firm's algorithm can
        do before investing: measure S(α) at a few sizes instead of trusting a bound that
        holds only for a Bayes-optimal firm (Theorem 1's ε = 0).
        """
        n = self.base.labels.shape[0]
        learner = None
        sizes = np.asarray(counts, dtype=int)
        for i, k in enumerate(sizes):
            member = np.zeros(n, dtype=bool)
            member[rng.choice(n, size=int(k), replace=False)] = True
            data = self._platform_data(member, None, self.follows)  # the probe's members follow as the workers do
            report(f"Principal's probes: training the firm with {int(k):,} members", i, len(sizes))
            seed = int(rng.integers(2**31 - 1))
            if learner is None or not self.convex_warm:  # a convex firm's probes start from the last probe's optimum
                learner = make_learner(self.kind, **{"seed": seed, **self.learner_params})
            learner.fit(data)
            r = evaluate(learner, self.test, self.target, trigger=self.trigger, spacing=self.spacing)
            self.samples.append((int(k) / n, float(r["success_top1"]), float(r["success_inclusion"])))
        self.probed = True

    def observed_curve(self, metric: str) -> SuccessCurve:
        """S(α) from the probes and the measured rounds (mean per size, linear in between).

        A new object only when a sample was added, so the principal's assessment is
        recomputed exactly when its knowledge changed.
        """
        key = (len(self.samples), metric)
        if self._observed is None or self._observed[:2] != key:
            a = np.array([x[0] for x in self.samples])
            s = np.array([x[1] if metric == "top1" else x[2] for x in self.samples])
            curve = SuccessCurve.from_samples(a, s, label=f"probed:{self.kind}")
            self._observed = (*key, curve)
        return self._observed[2]

    def measure(self) -> Measurement:
        r = evaluate(self.learner, self.test, self.target, trigger=self.trigger, spacing=self.spacing)
        self.samples.append((self.alpha, float(r["success_top1"]), float(r["success_inclusion"])))
        if self.strategy is Strategy.FEATURE_ONLY and "p" not in self.theory_given:
            # p of Theorem 3 from this round's firm on clean held-out resumes (1% quantile).
            scores = self.learner.predict_scores(list(self.test.texts))
            self.p_hat = max(estimate_positivity(scores, self.target), 1e-9)
            self._refresh_bound()
        b = self.theory(self.alpha) if self.alpha > 0 else math.nan
        return Measurement(
            self.alpha, float(r["success_top1"]), float(r["success_inclusion"]), float(r["accuracy"]), self._seconds, b
        )

    def success_curve(self) -> SuccessCurve:
        # A trained firm has no known S(α). Without probes or measurements the best
        # statement is the theory bound (Corollaries 2/4), a guarantee only for an
        # ε-suboptimal firm; the model's principal plans on observed_curve instead.
        return self.bound_curve()

    def bound_curve(self) -> SuccessCurve:
        if self._curve is None:
            self._curve = as_success_curve(self.theory.success)
        return self._curve


def check_text_data(p: "ModelParams", train: Any, test: Any) -> None:
    """The text firm's corpus fits the run: each target is a class of it, and the test set
    has resumes outside it (else success S cannot be measured). Also run by
    :mod:`acsim.runs.preflight` before a batch starts. ParamError names the field."""
    first = Plan(p.strategy, p.target, TRIGGER, TRIGGER_SPACING)
    targets = [(("target",), "", p.target)] + [(("collectives", i, "target"), f"collective {i + 2}'s ", pl.target)
                                               for i, pl in enumerate(collectives.plans(p, train.n_classes, first)[1:])]
    errs = []
    for loc, whose, target in targets:
        if not 0 <= target < train.n_classes:
            errs.append({"type": bad(f"is outside [0, {train.n_classes - 1}] (a class of the corpus)", value=target, has_value=True), "loc": loc})
        elif not (~test.labels[:, target]).any():
            errs.append({"type": bad(f"has no resume outside {whose or 'the '}target class in the test set: success S cannot be measured",
                                     value=target, has_value=True), "loc": loc})
    problem = as_error(errs)
    if problem is not None:
        raise problem
