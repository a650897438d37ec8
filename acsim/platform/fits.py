"""Best-fit success curves and the critical masses the runs support (Section 5, Figures 2–6).

The paper draws through each figure "a best-fit sigmoid with two shape parameters and
one offset term", offset + (1 − offset)·σ(k(log α − m)). Its upper asymptote is fixed at
1, so a curve that levels off at 0.85 still "crosses" 0.9 somewhere beyond the sizes
tried, and that extrapolated size would be printed as a critical mass. acsim fits the
plateau too (form ``"plateau"``, the default: offset b, plateau u, slope k, midpoint m);
the paper's form stays available (``"paper"``). Why a parametric curve and not only a
monotone (isotonic) fit: the sigmoid pools all sizes into a smooth crossing and its
plateau is a readable number ("this firm tops out at 0.85"); the evidence rule below
keeps it from inventing anything, and the means themselves are the fallback where the
fitted curve and the data disagree.

The evidence rule. For a target success S* a critical mass is a number only when

1. some size tried has mean success ≥ S* (otherwise: ``not reached (best mean S = x at y)``);
2. the smallest size tried has mean success < S* (otherwise: ``below the smallest size tried``);
3. it is where the fitted curve crosses S* inside [smallest, largest size tried]; if the
   fit crosses outside that range (or not at all) although 1 and 2 hold, the first
   crossing of the mean success, interpolated in log size between the two sizes around
   it, is reported instead (``method = "means"``).

The interval resamples the runs *within each size* (each run is one draw of corpus,
collective and firm initialisation: acsim's seeds vary all three), with the deviations
from each size's mean scaled by sqrt(n/(n − 1)) so that a resample of n runs keeps
their variance, refits, and applies the same rule; its 5–95% quantiles count "below the smallest size" as −∞ and "not
reached" as +∞, printed as ``< smallest`` and ``not reached``. One run per size gives no
interval (NaN), never a zero-width one.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass

import numpy as np

FORMS = ("plateau", "paper")
STATUSES = ("reached", "below smallest size", "not reached", "no fit")


def sigmoid(x: np.ndarray, offset: float, slope: float, mid: float) -> np.ndarray:
    """The paper's form: offset + (1 − offset)·σ(slope·(x − mid)), x = log10(size)."""
    return plateau_sigmoid(x, offset, 1.0, slope, mid)


def plateau_sigmoid(x: np.ndarray, offset: float, top: float, slope: float, mid: float) -> np.ndarray:
    """offset + (top − offset)·σ(slope·(x − mid)), x = log10(size): the plateau is fitted."""
    z = np.clip(-slope * (np.asarray(x, dtype=float) - mid), -500, 500)
    return offset + (top - offset) / (1.0 + np.exp(z))


@dataclass
class CurveFit:
    """A fitted success curve and what it says about the critical mass for ``target_success``.

    ``critical_mass`` is NaN unless ``status == "reached"``; ``ci_low``/``ci_high`` are
    −inf / +inf where bootstrap draws fell below the smallest size / never reached the
    target, NaN where there is no interval (one run per size). Sizes are in the unit of
    the x-axis (share of the data, or of the target class).
    """

    form: str
    offset: float
    top: float
    slope: float
    mid: float
    params_ok: bool
    status: str
    critical_mass: float
    method: str
    ci_low: float
    ci_high: float
    target_success: float
    best_mean: float
    best_size: float
    size_min: float
    size_max: float
    n_runs: int
    runs_per_size: int
    note: str = ""

    def __call__(self, size: np.ndarray) -> np.ndarray:
        return plateau_sigmoid(np.log10(size), self.offset, self.top, self.slope, self.mid)

    @property
    def text(self) -> str:
        """The critical mass as a reader should see it: a number with its interval, or why not."""
        if self.status == "not reached":
            return f"not reached (best mean S = {self.best_mean:.2f} at {self.best_size:.3g})"
        if self.status == "below smallest size":
            return f"below the smallest size tried ({self.size_min:.3g})"
        if self.status == "no fit":
            return f"no fit ({self.note})"
        return f"{self.critical_mass:.3g} {self.interval_text}"

    @property
    def interval_text(self) -> str:
        if math.isnan(self.ci_low) or math.isnan(self.ci_high):
            return "(no interval: one run per size)"
        lo = f"< {self.size_min:.3g}" if self.ci_low == -math.inf else f"{self.ci_low:.3g}"
        hi = "not reached" if self.ci_high == math.inf else f"{self.ci_high:.3g}"
        return f"[{lo}, {hi}]"


def _fit(x: np.ndarray, y: np.ndarray, form: str) -> tuple[float, float, float, float] | None:
    from scipy.optimize import OptimizeWarning, curve_fit

    lo, hi = float(x.min()), float(x.max())
    ux, inv = np.unique(x, return_inverse=True)
    means = np.bincount(inv, weights=y) / np.bincount(inv)
    b0, u0 = float(np.clip(means.min(), 0.0, 0.99)), float(np.clip(means.max(), 0.0, 1.0))  # p0 inside the bounds
    # Start at the size where the means pass halfway: curve_fit is local.
    half = np.flatnonzero(means >= 0.5 * (b0 + u0))
    m0 = float(ux[half[0]]) if half.size else 0.5 * (lo + hi)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OptimizeWarning)
        try:
            if form == "paper":
                p, _ = curve_fit(sigmoid, x, y, p0=(b0, 3.0, m0),
                                 bounds=([0.0, 0.05, lo - 3.0], [0.999, 60.0, hi + 3.0]), maxfev=20000)
                return float(p[0]), 1.0, float(p[1]), float(p[2])
            p, _ = curve_fit(plateau_sigmoid, x, y, p0=(b0, min(1.0, max(u0, b0 + 1e-3)), 3.0, m0),
                             bounds=([0.0, 0.0, 0.05, lo - 3.0], [1.0, 1.0, 60.0, hi + 3.0]), maxfev=20000)
        except (RuntimeError, ValueError):
            return None
    return float(p[0]), float(p[1]), float(p[2]), float(p[3])


def _fit_crossing(params: tuple[float, float, float, float], target: float) -> float:
    """log10 size where the fitted curve reaches ``target``: −inf if it starts above, +inf if never."""
    b, u, k, m = params
    if u <= b:  # a flat or falling curve never rises through the target
        return -math.inf if target <= u else math.inf
    if target <= b:
        return -math.inf
    if target >= u:
        return math.inf
    q = (target - b) / (u - b)
    return m + math.log(q / (1.0 - q)) / k


def _means_crossing(ux: np.ndarray, means: np.ndarray, target: float) -> float:
    """log10 size where the mean success first reaches ``target``, interpolated from the size before."""
    j = int(np.flatnonzero(means >= target)[0])
    if j == 0:
        return float(ux[0])
    x0, x1, y0, y1 = ux[j - 1], ux[j], means[j - 1], means[j]
    return float(x0 + (target - y0) / (y1 - y0) * (x1 - x0))


def _judge(x: np.ndarray, y: np.ndarray, target: float, form: str, always_fit: bool = True):
    """(status, log10 critical mass, method, params) by the module's evidence rule."""
    ux, inv = np.unique(x, return_inverse=True)
    means = np.bincount(inv, weights=y) / np.bincount(inv)
    decided = means.max() < target or means[0] >= target
    params = _fit(x, y, form) if always_fit or not decided else None
    if means.max() < target:
        return "not reached", math.inf, "", params
    if means[0] >= target:
        return "below smallest size", -math.inf, "", params
    if params is not None:
        xc = _fit_crossing(params, target)
        if ux[0] <= xc <= ux[-1]:
            return "reached", xc, "fit", params
    return "reached", _means_crossing(ux, means, target), "means", params


def fit_curve(
    sizes: np.ndarray,
    success: np.ndarray,
    target_success: float = 0.9,
    form: str = "plateau",
    n_boot: int = 200,
    seed: int = 0,
) -> CurveFit:
    """Fit ``form`` to (size, success) runs and report the critical mass the runs support.

    See the module docstring for the rule and the interval. ``sizes`` > 0 (log axis).
    """
    if form not in FORMS:
        raise ValueError(f"form must be one of {', '.join(FORMS)}, got {form!r}")
    s = np.asarray(sizes, dtype=float)
    y = np.asarray(success, dtype=float)
    ok = np.isfinite(s) & (s > 0) & np.isfinite(y)
    s, y = s[ok], y[ok]
    x = np.log10(s) if s.size else s
    nan = math.nan
    if x.size == 0:
        return CurveFit(form, nan, nan, nan, nan, False, "no fit", nan, "", nan, nan, target_success,
                        nan, nan, nan, nan, 0, 0, "no runs")
    ux, inv = np.unique(x, return_inverse=True)
    counts = np.bincount(inv)
    means = np.bincount(inv, weights=y) / counts
    best = int(np.argmax(means))
    common = dict(target_success=target_success, best_mean=float(means[best]), best_size=float(10 ** ux[best]),
                  size_min=float(10 ** ux[0]), size_max=float(10 ** ux[-1]), n_runs=int(x.size),
                  runs_per_size=int(counts.min()))
    if ux.size < 4:
        return CurveFit(form, nan, nan, nan, nan, False, "no fit", nan, "", nan, nan, **common,
                        note=f"{ux.size} sizes tried; a curve needs at least 4")
    status, xc, method, params = _judge(x, y, target_success, form)
    b, u, k, m = params if params is not None else (nan, nan, nan, nan)
    crit = float(10 ** xc) if status == "reached" else nan
    lo = hi = nan
    if n_boot > 0 and counts.min() > 1:
        rng = np.random.default_rng(seed)
        groups = [np.flatnonzero(inv == i) for i in range(ux.size)]
        # Resampling n runs with replacement has n−1/n of their variance (2/3 at 3 seeds):
        # deviations from each size's mean are scaled back up by sqrt(n/(n−1)).
        inflate = np.sqrt(counts / (counts - 1.0))[inv]
        centre = means[inv]
        draws = []
        idx = np.empty(x.size, dtype=int)
        for _ in range(n_boot):
            for g in groups:  # each run's slot gets a run of the same size: x stays as it is
                idx[g] = g[rng.integers(0, g.size, g.size)]
            yb = centre + inflate * (y[idx] - centre)
            _, xb, _, _ = _judge(x, yb, target_success, form, always_fit=False)
            draws.append(xb)
        q = np.quantile(np.asarray(draws), [0.05, 0.95], method="inverted_cdf")
        lo, hi = (float(10 ** v) if math.isfinite(v) else float(v) for v in q)
    note = "" if params is not None else "the sigmoid did not converge; the crossing is read off the means"
    if method == "means" and params is not None:
        note = "the fitted curve crosses outside the sizes tried; the crossing is read off the means"
    return CurveFit(form, b, u, k, m, params is not None, status, crit, method, lo, hi, **common, note=note)


def fit_curves(runs, size_col: str, metrics, target_success: float = 0.9, form: str = "plateau") -> list[dict]:
    """One row per (curve, metric) of a table of runs: :func:`fit_curve` on ``size_col``.

    ``runs`` (a DataFrame) has a ``curve`` and a nominal ``size`` column: each corpus may
    realise a nominal size slightly differently (a share of the target class), so runs of
    one nominal size sit at their mean realised size. ``reported`` is the text to print.
    With an ``n_members`` column, ``members_crit``, ``members_low`` and ``members_high`` give
    the critical mass and its interval as member counts: read off the runs' own mean
    (size, members) pairs by linear interpolation, so only inside the sizes tried (NaN where
    the critical mass or an interval end is not a number there).
    """
    rows = []
    for key, g in runs.groupby("curve", sort=False):
        x = g.groupby("size")[size_col].transform("mean").to_numpy()
        for metric in metrics:
            fit = fit_curve(x, g[metric].to_numpy(), target_success, form)
            row = {"curve": key, "metric": metric, "size_axis": size_col, **asdict(fit), "reported": fit.text}
            if "n_members" in g.columns:
                pairs = g.groupby("size").agg(x=(size_col, "mean"), n=("n_members", "mean")).sort_values("x")
                row.update({name: _members_at(v, pairs["x"].to_numpy(), pairs["n"].to_numpy(), fit.status)
                            for name, v in (("members_crit", fit.critical_mass), ("members_low", fit.ci_low),
                                            ("members_high", fit.ci_high))})
            rows.append(row)
    return rows


def _members_at(v: float, xs: np.ndarray, ns: np.ndarray, status: str) -> float:
    """A size on the fit's axis as members, interpolated between sizes tried; NaN outside them."""
    if status != "reached" or not math.isfinite(v) or v < xs[0] or v > xs[-1]:
        return math.nan
    return float(np.interp(v, xs, ns))


__all__ = ["FORMS", "CurveFit", "fit_curve", "fit_curves", "plateau_sigmoid", "sigmoid"]
