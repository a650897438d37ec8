"""The dashboard's live views, drawn with matplotlib into PNG bytes (no pyplot, no display).

Every chart is a small function ``(model, rows, sample) -> bytes``. They are called by
the background thread right after a round (see :mod:`dashboard.session`), so the page
only swaps image bytes and stays responsive; one module lock keeps two threads (a
discarded round finishing after a Reset, and the new model) from drawing at once.

The charts read the model's public API only (its rows, ``params``, ``population``,
``firm`` and :func:`acsim.abm.summary.summarize`) and write nothing onto it: the cache
of charts that did not change is a :class:`ChartCache` the caller owns (the session
keeps one per model).

Charts, as in the paper's Section 6:

* ``alpha``: α over rounds with the planning curve's α_crit (README glossary);
* ``success``: S over rounds against the theory bound and the join threshold c/(1 − γ);
* ``figure7``: the S(α) curve with γS(α), c and the shaded B(α_crit) (Figure 7),
  with the rounds' measured (α, S) points;
* ``spend``: the principal's cumulative spend against N·B(α_crit) and the budget;
* ``network``: a sample of ≤ 300 workers and their contacts, coloured by membership;
* ``firm``: the firm's clean accuracy and training time per round.
"""

from __future__ import annotations

import io
import math
import threading
from typing import TYPE_CHECKING, Callable

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from acsim.abm.summary import summarize
from acsim.plots import figure_7_axes
from dashboard.network_sample import NetworkSample

if TYPE_CHECKING:
    from acsim.abm.model import CollectiveActionModel

CHARTS = ("alpha", "success", "figure7", "spend", "network", "firm")
TITLES = {
    "alpha": "Collective size α",
    "success": "Success S",
    "figure7": "S(α) and the principal's investment (Figure 7)",
    "spend": "Principal's spend",
    "network": "Social network",
    "firm": "The firm",
}
FIGSIZE = (4.6, 3.1)
DPI = 80
MEMBER, SUBSIDISED, OUTSIDER = "#1f77b4", "#ff7f0e", "#c8c8c8"
# Further collectives 2, 3, ... (acsim.abm.collectives): one colour each, cycled past the fifth.
OTHERS = ("#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf")
OTHER_MARKERS = ("s", "^", "D", "v", "P")


def _other_style(j: int) -> dict:
    """Collective j's colour and marker (j = 2, 3, ...)."""
    return {"color": OTHERS[(j - 2) % len(OTHERS)], "marker": OTHER_MARKERS[(j - 2) % len(OTHER_MARKERS)]}

_draw_lock = threading.Lock()


# --------------------------------------------------------------------------- helpers


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def _figure(twin: bool = False) -> tuple[Figure, object]:
    # Fixed margins: a layout engine costs ~20 ms per chart, and every round redraws six.
    fig = Figure(figsize=FIGSIZE, dpi=DPI)
    fig.subplots_adjust(left=0.14, right=0.86 if twin else 0.97, bottom=0.15, top=0.9)
    return fig, fig.add_subplot()


def _note(ax, text: str, y: float = 0.5) -> None:
    ax.text(0.5, y, text, transform=ax.transAxes, ha="center", va="center", fontsize=9, color="#555555", wrap=True)


def _last(rows: pd.DataFrame, col: str) -> float:
    if not len(rows) or col not in rows:
        return math.nan
    try:
        return float(rows[col].iloc[-1])
    except (TypeError, ValueError):
        return math.nan


def _rounds_axis(ax, rows: pd.DataFrame) -> None:
    last = int(rows["round"].iloc[-1]) if len(rows) else 0
    ax.set_xlim(-0.3, max(5, last) + 0.3)
    ax.set_xlabel("round")
    ax.grid(alpha=0.3)


def _alpha_series(model: "CollectiveActionModel", rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(round, α after the round) with round 0 = the starting collective."""
    a0 = float(rows["alpha"].iloc[0]) if len(rows) else model.alpha
    r = np.r_[0, rows["round"].to_numpy(dtype=float)] if len(rows) else np.array([0.0])
    a = np.r_[a0, rows["alpha_end"].to_numpy(dtype=float)] if len(rows) else np.array([a0])
    return r, a


# --------------------------------------------------------------------------- charts


def chart_alpha(model: "CollectiveActionModel", rows: pd.DataFrame, sample: NetworkSample | None) -> bytes:
    fig, ax = _figure()
    r, a = _alpha_series(model, rows)
    ax.plot(r, a, "o-", ms=3, color=MEMBER, label="α (members / N)")
    span = a
    for j in range(2, model.n_others + 2) if len(rows) else ():
        aj = np.r_[float(rows[f"alpha_c{j}"].iloc[0]), rows[f"alpha_end_c{j}"].to_numpy(dtype=float)]
        ax.plot(r, aj, "-", ms=3, **_other_style(j), label=f"collective {j} α")
        span = np.maximum(span, aj)  # the y-range covers every collective
    ac = _last(rows, "alpha_crit")
    if math.isfinite(ac):
        ax.axhline(ac, color="C3", ls="--", lw=1.2, label=f"planning curve's α_crit = {ac:.3g}")
    elif len(rows) and model.params.principal != "none":
        _note(ax, "no self-sustaining size on the principal's S-curve", 0.9)
    top = max(float(np.nanmax(span)), ac if math.isfinite(ac) else 0.0, 0.05)
    ax.set_ylim(0, min(1.02, top * 1.15 + 0.01))
    _rounds_axis(ax, rows)
    ax.set_ylabel("α")
    ax.set_title(f"Collective size α = {a[-1]:.3g}", fontsize=10, y=1.0)
    ax.legend(fontsize=8, loc="upper left")
    return _png(fig)


def chart_success(model: "CollectiveActionModel", rows: pd.DataFrame, sample: NetworkSample | None) -> bytes:
    fig, ax = _figure()
    th = summarize(model).thresholds
    tmin, tmed, tmax = th.min, th.median, th.max
    if len(rows):
        r = rows["round"].to_numpy(dtype=float)
        ax.plot(r, rows["S"].to_numpy(dtype=float), "o-", ms=3, color="C0", label=f"S ({model.params.success_metric})")
        if model.firm.kind in ("bow", "transformer"):
            ax.plot(r, rows["S_top1"].to_numpy(dtype=float), ".:", color="C0", alpha=0.6, label="S top-1")
        for j in range(2, model.n_others + 2):
            ax.plot(r, rows[f"S_c{j}"].to_numpy(dtype=float), "-", ms=3, **_other_style(j), label=f"collective {j} S")
        b = rows["bound"].to_numpy(dtype=float)
        if np.isfinite(b).any():
            ax.plot(r, np.clip(b, 0.0, 1.0), "s--", ms=3, color="C2", lw=1, label="theory bound (≥ 0)")
    q10, q90 = th.q10, th.q90
    lo, hi = min(q10, 1.05), min(q90, 1.05)
    if hi > lo:
        ax.axhspan(lo, hi, color="C3", alpha=0.1, lw=0)
    if math.isfinite(tmed) and tmed <= 1.05:
        lab = "c/(1−γ)" if tmin == tmax else "c/(1−γ): median, 10–90% band"
        ax.axhline(tmed, color="C3", ls="--", lw=1.2, label=lab)
    elif not math.isfinite(tmed) or tmed > 1:
        _note(ax, f"median join threshold c/(1−γ) = {tmed:.3g} > 1: most never join", 0.9)
    ax.set_ylim(-0.02, 1.05)
    _rounds_axis(ax, rows)
    ax.set_ylabel("S")
    s = _last(rows, "S")
    ax.set_title("Success S" + (f" = {s:.3g}" if math.isfinite(s) else ""), fontsize=10, y=1.0)
    ax.legend(fontsize=7, loc="upper left")
    return _png(fig)


def chart_figure7(model: "CollectiveActionModel", rows: pd.DataFrame, sample: NetworkSample | None) -> bytes:
    fig, ax = _figure()
    summ = summarize(model)
    th = summ.thresholds
    # Every worker's (c, γ) when they are all alike, else the median worker's.
    c, g, tag = th.cost_median, th.gamma_median, "" if th.homogeneous else " of the median worker (c, γ)"
    if g >= 1.0:
        _note(ax, "γ = 1: joining is never rational (threshold c/(1−γ) = ∞)")
        return _png(fig)
    figure_7_axes(ax, summ.curve, c, g, who=tag)
    ax.set_title(ax.get_title(), fontsize=9, y=1.0)
    lo, hi = ax.get_xlim()
    plan = _last(rows, "alpha_crit")
    if tag and math.isfinite(plan) and model.params.principal != "none" and plan <= hi:
        # The principal plans for the whole (heterogeneous) population, not the median worker.
        ax.axvline(plan, color="C3", ls=":", lw=1.2, label=f"planning curve's α_crit (population) = {plan:.3g}")
    if len(rows):
        a = rows["alpha"].to_numpy(dtype=float)
        s = rows["S"].to_numpy(dtype=float)
        inside = a <= hi
        ax.scatter(a[inside], s[inside], s=14, color="black", zorder=5, label="measured (α_t, S_t)")
        if not inside[-1]:
            _note(ax, f"now α = {a[-1]:.3g} →", 0.06)
    ax.legend(fontsize=6, loc="center right")
    ax.set_ylabel("utility")
    return _png(fig)


def chart_spend(model: "CollectiveActionModel", rows: pd.DataFrame, sample: NetworkSample | None) -> bytes:
    fig, ax = _figure()
    p = model.params
    if p.principal == "none":
        _note(ax, "no principal (principal = none)")
    if len(rows):
        r = np.r_[0, rows["round"].to_numpy(dtype=float)]
        spend = np.r_[0.0, rows["spend_total"].to_numpy(dtype=float)]
        ax.plot(r, spend, "o-", ms=3, color="C1", lw=2, label="cumulative spend")
        bt = _last(rows, "B_crit_total")
        if math.isfinite(bt) and p.principal != "none":
            ax.axhline(bt, color="C3", ls="--", lw=1.2, label=f"N·B(α_crit) = {bt:.3g}")
        if math.isfinite(p.budget) and p.principal != "none":
            ax.axhline(p.budget, color="grey", ls=":", lw=1.2, label=f"budget = {p.budget:.3g}")
        ax.legend(fontsize=7, loc="lower right")
        status = str(rows["principal_status"].iloc[-1])
        ax.set_title(f"Principal ({p.principal}): {status}, spent {spend[-1]:.3g}", fontsize=10, y=1.0)
    else:
        ax.set_title(f"Principal ({p.principal})", fontsize=10, y=1.0)
    ax.set_ylim(bottom=0)
    _rounds_axis(ax, rows)
    ax.set_ylabel("payments (utility units)")
    return _png(fig)


def chart_network(model: "CollectiveActionModel", rows: pd.DataFrame, sample: NetworkSample | None) -> bytes:
    fig = Figure(figsize=FIGSIZE, dpi=DPI)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.09, top=0.9)
    ax = fig.add_subplot()
    ax.set_axis_off()
    if sample is None:
        _note(ax, "no sample")
        return _png(fig)
    pop = model.population
    member = pop.member[sample.nodes]
    paid = member & (pop.subsidy[sample.nodes] > 0)
    colors = np.where(paid, SUBSIDISED, np.where(member, MEMBER, OUTSIDER)).astype(object)
    other = pop.other[sample.nodes]
    for j in range(2, model.n_others + 2):
        colors[other == j] = _other_style(j)["color"]
    if sample.segments.size:
        ax.add_collection(LineCollection(sample.segments, colors="#999999", linewidths=0.4, alpha=0.5, zorder=1))
    size = 10 if sample.nodes.size > 150 else 22
    ax.scatter(sample.pos[:, 0], sample.pos[:, 1], s=size, c=colors, edgecolors="none", zorder=2)
    ax.autoscale_view()
    shown = f"{sample.nodes.size} of {sample.total_nodes} workers" if sample.nodes.size < sample.total_nodes else f"{sample.total_nodes} workers"
    kind = model.params.network if sample.has_network else "no network"
    ax.set_title(f"{kind}: {shown}, {int(member.sum())} members", fontsize=9, y=1.0)
    from matplotlib.lines import Line2D

    keys = [(MEMBER, "member"), (SUBSIDISED, "subsidised member"),
            *((_other_style(j)["color"], f"collective {j}") for j in range(2, model.n_others + 2)), (OUTSIDER, "not a member")]
    handles = [Line2D([], [], ls="", marker="o", color=col, label=lab) for col, lab in keys]
    small = len(keys) > 3  # further collectives: one row of smaller entries
    ax.legend(handles=handles, fontsize=6 if small else 7, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=min(len(keys), 6),
              frameon=False, handletextpad=0.2, columnspacing=0.5 if small else 0.8)
    return _png(fig)


def chart_firm(model: "CollectiveActionModel", rows: pd.DataFrame, sample: NetworkSample | None) -> bytes:
    fig, ax = _figure(twin=model.firm.kind != "theory")
    kind = model.firm.kind
    _rounds_axis(ax, rows)
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("clean accuracy")
    if kind == "theory":
        _note(ax, "theory firm: S is read off a known curve\n(nothing is trained)")
        ax.set_title("Firm: theory (no training)", fontsize=10, y=1.0)
        return _png(fig)
    if len(rows):
        r = rows["round"].to_numpy(dtype=float)
        acc = rows["accuracy"].to_numpy(dtype=float)
        ax.plot(r, acc, "o-", ms=3, color="C2", label="clean accuracy")
        ax2 = ax.twinx()
        ax2.bar(r, rows["train_seconds"].to_numpy(dtype=float), width=0.5, color="C7", alpha=0.35, label="training s")
        ax2.set_ylabel("training time (s)")
        ax2.set_ylim(bottom=0)
        ax.set_zorder(ax2.get_zorder() + 1)
        ax.patch.set_visible(False)
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        ax.legend(h1 + h2, l1 + l2, fontsize=7, loc="lower left")
        ax.set_title(f"Firm: {kind}, accuracy {acc[-1]:.3f}, {rows['train_seconds'].iloc[-1]:.2f} s", fontsize=10, y=1.0)
    else:
        ax.set_title(f"Firm: {kind} (not trained yet)", fontsize=10, y=1.0)
    return _png(fig)


RENDERERS: dict[str, Callable[..., bytes]] = {
    "alpha": chart_alpha,
    "success": chart_success,
    "figure7": chart_figure7,
    "spend": chart_spend,
    "network": chart_network,
    "firm": chart_firm,
}


def _error_png(name: str, exc: BaseException) -> bytes:
    fig, ax = _figure()
    ax.set_axis_off()
    _note(ax, f"{TITLES[name]}: cannot draw\n{type(exc).__name__}: {exc}"[:300])
    return _png(fig)


def _cache_key(name: str, model: "CollectiveActionModel", rows: pd.DataFrame, sample: NetworkSample | None):
    """What a chart depends on, for the two charts that often do not change between rounds (else None)."""
    last = int(rows["round"].iloc[-1]) if len(rows) else 0
    if name == "firm" and model.firm.kind == "theory":
        return ("theory", max(5, last))
    if name == "network" and sample is not None:
        pop = model.population
        return (id(sample), pop.member[sample.nodes].tobytes(), (pop.subsidy[sample.nodes] > 0).tobytes(),
                pop.other[sample.nodes].tobytes())
    return None


_blank: bytes | None = None


def blank_png() -> bytes:
    """An empty white chart of the charts' size: what the page shows while a model is built.

    (The page keeps its six image widgets for its whole life rather than removing them
    during a build: a widget closed while the browser still draws it is the "widget model
    not found" error.)
    """
    global _blank
    if _blank is None:
        with _draw_lock:
            _blank = _png(Figure(figsize=FIGSIZE, dpi=DPI))
    return _blank


class ChartCache:
    """The last drawing of the charts that often do not change between rounds, for one model.

    Owned by whoever draws (the session keeps one per model it builds), never stored on
    the model: ``render_all(model, rows, sample, cache)``.
    """

    def __init__(self) -> None:
        self._entries: dict[str, tuple[object, bytes]] = {}

    def get(self, name: str, key: object) -> bytes | None:
        hit = self._entries.get(name)
        return hit[1] if hit is not None and hit[0] == key else None

    def put(self, name: str, key: object, png: bytes) -> None:
        self._entries[name] = (key, png)

    def __len__(self) -> int:
        return len(self._entries)


def render_all(
    model: "CollectiveActionModel", rows: pd.DataFrame, sample: NetworkSample | None, cache: ChartCache | None = None
) -> dict[str, bytes]:
    """Every chart as PNG bytes; a chart that fails shows its error instead of taking the page down.

    With a ``cache`` (one per model), a chart whose inputs did not change since the last
    call with that cache (the theory firm's panel; the network when no sampled worker
    changed) is reused, not redrawn. Nothing is written onto ``model``.
    """
    out: dict[str, bytes] = {}
    with _draw_lock:
        for name in CHARTS:
            key = _cache_key(name, model, rows, sample) if cache is not None else None
            hit = cache.get(name, key) if key is not None else None
            if hit is not None:
                out[name] = hit
                continue
            try:
                out[name] = RENDERERS[name](model, rows, sample)
            except Exception as exc:  # noqa: BLE001 - a chart must never kill the round
                out[name] = _error_png(name, exc)
                continue
            if key is not None:
                cache.put(name, key, out[name])
    return out
