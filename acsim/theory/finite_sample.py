"""Finite-sample success bounds: what a collective of n members can guarantee on a platform of N.

Gauthier, Bach & Jordan, "Statistical Collusion by Collectives on Learning Platforms"
(ICML 2025), Section 3. The platform trains on N points, n of them the collective's; the
collective sees only its own pooled data D(n) and computes a lower bound on its success
Ŝ(n) on a test set of N_test points that holds with probability at least 1 − δ over the
draw of everyone. The bounds depend on n and N, not only on α = n/N, and move in steps:
each signal point x̃ ∈ X̃ = g(X) is "cracked" once the collective's mass there beats the
base population's gap plus the estimation error, and success is the mass of the cracked
points (Theorems 3.3, 3.5, 3.7, 3.9; every one has the shape of eq. (1)):

    Ŝ(n) ≥ Σ_x w(x) · 1{ n/N (m(x) − 2R(n)) − (N − n)/N (Δ̂(x) + 2R(k) + 2R(N − n)) − ε/(1 − ε) > 0 }
           − R(n) − R(N_test),

with R(k) = √(log(1/δ')/(2k)) Hoeffding's radius (δ' = δ divided by the number of events
the theorem's union bound covers), w the collective's empirical law of the points the
test set is scored on, m(x) the collective's modified mass at x and Δ̂(x) its estimate of
how much the base population favours a competing label there (from k = n members, or
n − n_e for unplanting).

Everything here takes the collective's *count tables* (..., n_x, K): a leading batch axis
evaluates many draws at once, and float "expected counts" n·P0 give the bound a collective
whose pooled frequencies equal the world's would compute (:func:`expected_bound`, the
curve :mod:`acsim.abm` and ``acsim bounds`` use). :func:`sample_check` verifies a bound
the way the paper's population bounds are verified in :mod:`acsim.theory.discrete`: draw
the N training points and the test set many times, fit the plug-in (empirical Bayes) firm
f(x) = argmax_y of the training counts, and count how often Ŝ(n) is at least the bound.
The firm here is ε = 0 (the plug-in firm is exactly optimal on its training data); the ε
term is implemented as printed.
"""

from __future__ import annotations

import math
import numpy as np

from acsim.theory.discrete import DiscreteWorld
from acsim.theory.domain import check
from acsim.theory.success_curve import SuccessCurve

GOALS = ("feature-label", "feature-only", "unplanting", "erasure")
THEOREMS = {"feature-label": "Thm 3.3", "feature-only": "Thm 3.5", "unplanting": "Thm 3.7", "erasure": "Thm 3.9"}


def hoeffding_radius(k, fail_prob: float):
    """R_δ(k) = √(log(1/δ)/(2k)) (Section 3.1, Lemma D.1); ``inf`` for k = 0 (nothing observed)."""
    k = np.asarray(k, dtype=float)
    with np.errstate(divide="ignore"):
        return np.sqrt(math.log(1.0 / fail_prob) / (2.0 * k))


def union_events(goal: str, world: DiscreteWorld) -> int:
    """The divisor of δ in each theorem: δ' = δ / (number of events its union bound covers)."""
    ns, nx, ny = int(world.signal_set.sum()), world.n_x, world.p0.shape[1]
    return {"feature-label": 2 + 2 * ns + 2 * ns * ny, "feature-only": 2 + 2 * ns + 2 * ns * ny,
            "unplanting": 2 + 6 * ns, "erasure": 2 + ns * ny + 2 * nx + 2 * nx * ny}[_goal(goal)]


def _goal(goal: str) -> str:
    g = str(goal).strip().lower().replace("_", "-")
    if g not in GOALS:
        raise ValueError(f"goal must be one of {', '.join(GOALS)}, got {goal!r}")
    return g


def _push(world: DiscreteWorld, table: np.ndarray) -> np.ndarray:
    """Σ_{x: g(x) = x̃} table[..., x]: a per-feature array carried to the signal points."""
    out = np.zeros_like(table)
    np.add.at(out.swapaxes(0, -1), world.signal, table.swapaxes(0, -1))
    return out


def _others_max(table: np.ndarray, label: np.ndarray) -> np.ndarray:
    """max over y' ≠ label[x] of table[..., x, y'] (the best competing label's mass)."""
    masked = np.where(np.arange(table.shape[-1]) == label[..., None], -np.inf, table)
    return masked.max(axis=-1)


def _at(table: np.ndarray, label: np.ndarray) -> np.ndarray:
    return np.take_along_axis(table, label[..., None], axis=-1)[..., 0]


def lower_bound(world: DiscreteWorld, goal: str, member: np.ndarray, n_total: int, n_test: int | None = None,
                fail_prob: float = 0.05, eps: float = 0.0, estimate: np.ndarray | None = None,
                eta: float | None = None) -> float | np.ndarray:
    """The collective's computable lower bound on Ŝ(n), holding with probability ≥ 1 − δ.

    ``member``: the collective's pooled original data D(n) as counts (..., n_x, K) (floats
    allowed: expected counts). ``goal``:

    * ``"feature-label"``: h(x, y) = (g(x), y*), Theorem 3.3, eq. (1); success
      Ŝ = P_test{f(g(x)) = y*}.
    * ``"feature-only"``: members with y = y* play (g(x), y*), the rest move to a feature
      outside X̃ with their label, Theorem 3.5, eq. (2).
    * ``"unplanting"``: a sub-collective D(n_e) (``estimate``, counts within ``member``;
      default: half of every cell, the expected split) estimates ŷ_x = argmax_{y ≠ y*} of its
      data (eq. 3), everyone plays (g(x), ŷ_{g(x)}), the other n − n_e members estimate the
      gap; Theorem 3.7, eq. (4); success Ŝ = P_test{f(g(x)) ≠ y*}.
    * ``"erasure"``: members keep x and take ŷ*_{g(x)}, the label their own data favour at
      g(x), Theorem 3.9, eq. (5); success Ŝ = P_test{f(g(x)) = f(x)}. The theorem needs
      Assumption A1 with margin η (default: the world's exact η, :func:`erasure_margin`) and
      2 log(1/δ')/η² ≤ n ≤ N − 2 log(1/δ')/η²; outside that range it promises nothing and
      the bound is 0.

    ``n_test`` defaults to ``n_total``. The raw formula is returned (negative: vacuous).
    """
    g = _goal(goal)
    check("fail_prob", fail_prob, 0.0, 1.0, lo_open=True, hi_open=True)
    check("eps", eps, 0.0, 0.5, hi_open=True)
    member = np.asarray(member, dtype=float)
    if member.shape[-2:] != world.p0.shape:
        raise ValueError(f"member counts must have shape (..., {world.n_x}, {world.p0.shape[1]}), got {member.shape}")
    n = member.sum(axis=(-2, -1))
    if np.any(n < 1) or np.any(n >= n_total):
        raise ValueError(f"the collective needs 1 <= n < n_total = {n_total} members, got n = {np.min(n):g}..{np.max(n):g}")
    n_test = n_total if n_test is None else n_test
    if n_test < 1:
        raise ValueError(f"n_test must be >= 1, got {n_test}")
    d = fail_prob / union_events(g, world)
    R = lambda k: hoeffding_radius(k, d)  # noqa: E731
    p_hat = member / n[..., None, None]
    rest = 2.0 * R(n_total - n)
    if g == "unplanting":
        est = member / 2.0 if estimate is None else np.asarray(estimate, dtype=float)
        ne = est.sum(axis=(-2, -1))
        if np.any(ne < 1) or np.any(ne >= n) or np.any(est > member):
            raise ValueError("the estimating sub-collective must be part of the collective, with 1 <= n_e < n")
        weight, mass, gap = _resistance(world, g, p_hat, est, (member - est) / (n - ne)[..., None, None])
        r_gap = 2.0 * R(n - ne) + rest
    else:
        weight, mass, gap = _resistance(world, g, p_hat)
        r_gap = 2.0 * R(n) + rest
    if g == "erasure":
        eta = erasure_margin(world) if eta is None else eta
        need = 2.0 * math.log(1.0 / d) / eta ** 2 if eta > 0 else math.inf
    a = (n / n_total)[..., None]
    lhs = a * (mass - 2.0 * R(n)[..., None]) - (1.0 - a) * (gap + r_gap[..., None]) - eps / (1.0 - eps)
    val = (weight * (lhs > 0)).sum(axis=-1) - R(n) - R(n_test)
    if g == "erasure":
        val = np.where((n >= need) & (n <= n_total - need), val, 0.0)
    return float(val) if np.ndim(val) == 0 else val


def _resistance(world: DiscreteWorld, goal: str, p: np.ndarray, estimate: np.ndarray | None = None,
                later: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    """(w, m, Δ) of eqs. (1), (2), (4), (5) per feature, from the collective's joint table ``p``.

    w: the law the test set is scored on; m: the collective's modified mass at each point;
    Δ: how much the base population favours a competing label there. Unplanting picks its
    labels on ``estimate`` (D(n_e)) and its gap on ``later`` (D(n − n_e)); both default to p,
    as in the infinite-data limit.
    """
    y = world.target
    marginal = p.sum(axis=-1)
    if goal in ("feature-label", "feature-only"):
        weight = _push(world, marginal)
        mass = weight if goal == "feature-label" else _push(world, p[..., y])
        return weight, mass, _others_max(p, np.full(world.n_x, y)) - p[..., y]
    if goal == "unplanting":
        later = p if later is None else later
        y_hat = _unplant_labels(world, p if estimate is None else estimate)
        weight = _push(world, marginal)
        return weight, weight, later[..., y] - _at(later, y_hat)
    y_sig = _erasure_labels(world, p)
    return marginal, marginal, _others_max(p, y_sig) - _at(p, y_sig)


def _erasure_labels(world: DiscreteWorld, table: np.ndarray) -> np.ndarray:
    """ŷ*_{g(x)} for every feature x: the label the collective's data favour at g(x) (Definition 3.8)."""
    y_star = table.argmax(axis=-1)
    return np.take_along_axis(y_star, np.broadcast_to(world.signal, y_star.shape), axis=-1)


def _unplant_labels(world: DiscreteWorld, estimate: np.ndarray) -> np.ndarray:
    """ŷ_x = argmax_{y ≠ y*} P̂_{D(n_e)}(x, y), eq. (3), for every feature x."""
    return np.where(np.arange(world.p0.shape[1]) == world.target, -np.inf, estimate).argmax(axis=-1)


def erasure_margin(world: DiscreteWorld) -> float:
    """η of Assumption A1: min over features of P0(x, y*_x) − max_{y ≠ y*_x} P0(x, y) (≤ 0: A1 fails)."""
    top = np.sort(world.p0, axis=1)
    return float(np.min(top[:, -1] - top[:, -2]))


def expected_bound(world: DiscreteWorld, goal: str, n, n_total: int, n_test: int | None = None,
                   fail_prob: float = 0.05, eps: float = 0.0) -> float | np.ndarray:
    """The bound a collective of n whose pooled frequencies equal P0 computes (n may be an array).

    Not a probability statement about a random collective (:func:`sample_check` is): the
    typical value of the computed bound, as a curve in n at a fixed platform size N.
    """
    n = np.asarray(n, dtype=float)
    return lower_bound(world, goal, n[..., None, None] * world.p0, n_total, n_test, fail_prob, eps)


def population_limit(world: DiscreteWorld, goal: str, alpha) -> float | np.ndarray:
    """The bound as n, N, N_test → ∞ with n/N → α (Section 4.3, Appendix F): every R term vanishes.

    For ``feature-label`` it is never below Theorem 1 at the same α (Appendix F; tested).
    """
    g = _goal(goal)
    a = np.asarray(alpha, dtype=float)[..., None]
    weight, mass, gap = _resistance(world, g, world.p0)
    val = (weight * (a * mass - (1.0 - a) * gap > 0)).sum(axis=-1)
    return float(val) if np.ndim(val) == 0 else val


def plug_in_success(world: DiscreteWorld, goal: str, member: np.ndarray, base: np.ndarray, test_x: np.ndarray,
                    estimate: np.ndarray | None = None) -> np.ndarray:
    """Ŝ(n) of the plug-in firm: apply the goal's strategy to the members' counts, add the base
    counts, deploy f(x) = argmax_y of the training counts (ties against the collective), score on
    the test features' counts ``test_x`` (..., n_x). All arrays may carry a leading draws axis."""
    g = _goal(goal)
    member = np.asarray(member, dtype=float)
    y = world.target
    marginal = member.sum(axis=-1)
    mod = np.zeros_like(member)
    if g == "feature-label":
        mod[..., y] = _push(world, marginal)
    elif g == "feature-only":
        outside = np.flatnonzero(~world.signal_set)
        if outside.size == 0:
            raise ValueError("feature-only planting needs a feature outside the signal set")
        keep = member.copy()
        keep[..., y] = 0.0
        moved = keep[..., world.signal_set, :].sum(axis=-2)
        keep[..., world.signal_set, :] = 0.0
        keep[..., outside[0], :] += moved
        mod = keep
        mod[..., y] += _push(world, member[..., y])
    elif g == "unplanting":
        y_hat = _unplant_labels(world, member / 2.0 if estimate is None else estimate)
        pushed = _push(world, marginal)
        np.put_along_axis(mod, y_hat[..., None], pushed[..., None], axis=-1)
    else:
        np.put_along_axis(mod, _erasure_labels(world, member)[..., None], marginal[..., None], axis=-1)
    train = mod + np.asarray(base, dtype=float)
    # Ties go against the collective: integer counts, so ±0.25 only ever breaks a tie.
    if g in ("feature-label", "feature-only"):
        train[..., y] -= 0.25
    elif g == "unplanting":
        train[..., y] += 0.25
    f = train.argmax(axis=-1)
    if g == "unplanting":
        hit = f[..., world.signal] != y
    elif g == "erasure":
        hit = f == f[..., world.signal]
    else:
        hit = f[..., world.signal] == y
    test_x = np.asarray(test_x, dtype=float)
    return (test_x * hit).sum(axis=-1) / test_x.sum(axis=-1)


def sample_check(world: DiscreteWorld, goal: str, n: int, n_total: int, n_test: int | None = None,
                 draws: int = 1000, fail_prob: float = 0.05, eps: float = 0.0,
                 rng: np.random.Generator | None = None, n_estimate: int | None = None) -> dict[str, np.ndarray | float]:
    """Draw everyone ``draws`` times; per draw the collective's bound and the plug-in firm's Ŝ(n).

    Each draw: D(n) ~ Multinomial(n, P0) (the members), D(N − n) ~ Multinomial(N − n, P0)
    (the rest of the platform), the test features ~ Multinomial(N_test, P0(x)). Returns
    ``bound`` and ``success`` (arrays of length ``draws``), ``covered`` (the fraction of
    draws with Ŝ ≥ bound; the theorem promises ≥ 1 − δ) and ``promised`` = 1 − δ.
    """
    rng = np.random.default_rng() if rng is None else rng
    if draws < 1:
        raise ValueError(f"draws must be >= 1, got {draws}")
    n_test = n_total if n_test is None else n_test
    shape = (draws,) + world.p0.shape
    flat = world.p0.ravel()
    member = rng.multinomial(n, flat, size=draws).reshape(shape)
    base = rng.multinomial(n_total - n, flat, size=draws).reshape(shape)
    test_x = rng.multinomial(n_test, world.marginal, size=draws)
    if _goal(goal) == "unplanting":
        # The estimating sub-collective D(n_e) is its own independent draw (Thm 3.7): split the
        # members' counts by a multivariate hypergeometric draw, which is exactly that.
        ne = n // 2 if n_estimate is None else n_estimate
        est = np.stack([rng.multivariate_hypergeometric(m.ravel(), ne) for m in member]).reshape(shape)
    else:
        est = None
    bound = np.asarray(lower_bound(world, goal, member, n_total, n_test, fail_prob, eps, estimate=est))
    success = plug_in_success(world, goal, member, base, test_x, estimate=est)
    return {"bound": bound, "success": success, "covered": float(np.mean(success >= bound)),
            "promised": 1.0 - fail_prob, "theorem": THEOREMS[_goal(goal)]}


def paper_bound(world: DiscreteWorld, goal: str, alpha: float) -> float:
    """Hardt et al.'s population bound at α with the world's exact ξ, Δ, p, τ (Theorem 1, 3 or 5).

    NaN for unplanting (the paper has no such goal); −inf where Theorem 3 says nothing
    (a world without positivity, p = 0).
    """
    g = _goal(goal)
    if g == "unplanting":
        return math.nan
    if g == "feature-only" and world.positivity() <= 0:
        return -math.inf
    return float(world.bound(g, alpha))


def compare(world: DiscreteWorld, goal: str, ns, n_total: int, n_test: int | None = None, draws: int = 1000,
            fail_prob: float = 0.05, eps: float = 0.0, rng: np.random.Generator | None = None) -> dict[str, np.ndarray]:
    """Per member count n: the finite-sample bound over ``draws`` collectives, what the plug-in
    firm achieved, the paper's bound at α = n/N and the infinite-data limit, one array per column.

    Columns: ``n``, ``alpha``, ``bound_median``, ``bound_q05`` (5% of the draws' bounds lie
    below), ``bound_expected`` (:func:`expected_bound`), ``success_mean``, ``success_min``,
    ``covered`` (fraction of draws with Ŝ ≥ bound), ``paper`` (:func:`paper_bound`),
    ``limit`` (:func:`population_limit`).
    """
    rng = np.random.default_rng(0) if rng is None else rng
    rows = []
    for n in np.asarray(ns, dtype=int).ravel():
        r = sample_check(world, goal, int(n), n_total, n_test, draws, fail_prob, eps, rng)
        rows.append({
            "n": int(n), "alpha": n / n_total, "bound_median": float(np.median(r["bound"])),
            "bound_q05": float(np.quantile(r["bound"], 0.05)),
            "bound_expected": float(expected_bound(world, goal, n, n_total, n_test, fail_prob, eps)),
            "success_mean": float(r["success"].mean()), "success_min": float(r["success"].min()),
            "covered": r["covered"], "paper": paper_bound(world, goal, n / n_total),
            "limit": float(population_limit(world, goal, n / n_total)),
        })
    return {k: np.array([row[k] for row in rows]) for k in rows[0]}


def member_curve(world: DiscreteWorld, goal: str, n_total: int, n_test: int | None = None, fail_prob: float = 0.05,
                 eps: float = 0.0, max_points: int = 20_001) -> SuccessCurve:
    """The typical collective's bound as a success curve in α = n/N at a fixed platform size N.

    Sampled at every member count 1..N − 1 (on a grid of ``max_points`` counts for larger N),
    clipped to [0, 1] (a vacuous bound promises nothing), 0 at n = 0; what the agent-based
    model's theory firm with ``curve = "finite-sample"`` plays and its principal plans on.
    """
    if n_total < 2:
        raise ValueError(f"n_total must be >= 2 for a finite-sample curve, got {n_total}")
    if n_total - 1 <= max_points:
        ns = np.arange(1, n_total)
    else:
        ns = np.unique(np.r_[np.geomspace(1, n_total - 1, max_points // 2), np.linspace(1, n_total - 1, max_points // 2)].astype(int))
    vals = np.clip(expected_bound(world, goal, ns, n_total, n_test, fail_prob, eps), 0.0, 1.0)
    label = f"{THEOREMS[_goal(goal)]}(N={n_total:,}, δ={fail_prob:g})"
    return SuccessCurve.from_samples(np.r_[0.0, ns / n_total, 1.0], np.r_[0.0, vals, vals[-1]], label)
