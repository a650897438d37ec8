"""The acsim dashboard: watch a collective form, round by round (``solara run dashboard/app.py``).

Started by ``acsim dashboard [SCENARIO]`` (see :mod:`acsim.dashboard`), which passes the
scenario in the ``ACSIM_DASHBOARD_SCENARIO`` environment variable.

Layout: the side panel holds the controls (scenario file; population, cost and γ;
strategy and target; firm; beliefs and network; principal and budget; seed and
rounds); the main area the Step / Play / Reset buttons, the round counter, the status
of the background round, and six live charts (see :mod:`dashboard.charts`). Controls
take effect on Reset; a value out of range shows its message and nothing is built.

Each page (browser tab) has its own :class:`dashboard.session.Session`; all model work
runs in the session's background thread, so the page stays responsive while a firm
trains, and Pause / Reset work mid-round.

Mesa's own ``SolaraViz`` is not used: in Mesa 3.3 importing ``mesa.visualization``
requires altair (not a dependency of acsim) and its Step runs ``model.step()`` in the
page's event handler, which would freeze the page for a transformer round.
"""

from __future__ import annotations

import html
import itertools
import math
import os
import sys
from dataclasses import replace
from pathlib import Path

# `solara run dashboard/app.py` runs this file as a script: make `dashboard.*` importable.
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import solara  # noqa: E402

from dashboard import controls as C  # noqa: E402
from dashboard.charts import CHARTS  # noqa: E402
from dashboard.session import Session  # noqa: E402

SCENARIO_ENV = "ACSIM_DASHBOARD_SCENARIO"
CSS = """
.acsim-round { font-size: 1.25rem; font-weight: 600; min-width: 7.5rem; }
.acsim-chart img, img.acsim-chart { max-width: 100%; height: auto; }
.acsim-headline { font-size: 0.95rem; color: #333; }
.acsim-status { color: #555; font-size: 0.9rem; }
.acsim-sidebar-section { font-weight: 600; margin-top: 0.6rem; color: #333; }
.v-select .v-input__details { display: none; }
.acsim-rows { font-size: 0.8rem; border-collapse: collapse; }
.acsim-rows th, .acsim-rows td { padding: 2px 8px; text-align: right; border-bottom: 1px solid #ddd; }
"""
ROW_COLUMNS = {
    "round": "round", "alpha": "α at start", "S": "S", "bound": "bound", "joins": "joins", "leaves": "leaves",
    "recruits": "recruits", "members_end": "members at end", "alpha_end": "α at end", "spend": "spend", "spend_total": "spent",
    "principal_status": "principal", "accuracy": "accuracy", "train_seconds": "train s",
}


def rows_html(rows, last: int = 8) -> str:
    """The last rounds' rows as an HTML table (numbers to 4 significant digits).

    (Not solara.Markdown: it loads mermaid from a CDN, and the page must work offline.)
    """
    cols = [c for c in ROW_COLUMNS if c in rows.columns]
    tail = rows[cols].tail(last)

    def cell(v) -> str:
        if isinstance(v, float):
            return "–" if math.isnan(v) else f"{v:.4g}"
        return html.escape(str(v))

    head = "<tr>" + "".join(f"<th>{html.escape(ROW_COLUMNS[c])}</th>" for c in cols) + "</tr>"
    body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in r) + "</tr>" for r in tail.itertuples(index=False))
    return f"<thead>{head}</thead><tbody>{body}</tbody>"


def _initial() -> tuple[C.Controls, C.Base | None, str | None, str]:
    """Controls from the scenario named in the environment (or the defaults), and a load error."""
    name = os.environ.get(SCENARIO_ENV, "").strip()
    if not name:
        return C.Controls(), None, None, ""
    try:
        ctrl, base = C.load(name)
        return ctrl, base, None, name
    except (ValueError, OSError) as exc:
        return C.Controls(), None, f"{exc}", name


def _section(title: str) -> None:
    solara.Text(title, classes=["acsim-sidebar-section"])


@solara.component
def DistControls(which: str, label: str, ctrl: solara.Reactive, base: C.Base | None) -> None:
    c = ctrl.value
    dist = getattr(c, f"{which}_dist")
    values = list(C.EDITABLE_DISTS)
    if dist not in values:
        values.append(dist)  # e.g. "values" from a scenario file
    solara.Select(label=f"{label}: distribution", values=values, value=dist, dense=True,
                  on_value=lambda d: ctrl.set(ctrl.value.with_dist(which, d)), classes=[f"acsim-{which}-dist"])
    names = C.DIST_FIELDS.get(dist)
    if names is None:
        solara.Text(f"{label}: per-worker values from the scenario", classes=["acsim-status"])
        return
    with solara.Row(gap="8px"):
        for i, key in enumerate(names):
            attr = f"{which}_{'ab'[i]}"
            solara.InputFloat(
                label=f"{label} {key}", value=getattr(c, attr), dense=True, optional=True,
                on_value=lambda v, attr=attr: ctrl.set(replace(ctrl.value, **{attr: v})),
                classes=[f"acsim-{which}-{key}"],
            )


@solara.component
def ScenarioPanel(ctrl: solara.Reactive, base: solara.Reactive, path: solara.Reactive, error: solara.Reactive) -> None:
    def load(point: int = 0, variant: str | None = None) -> None:
        try:
            c, b = C.load(path.value or "", point=point, variant=variant)
        except (ValueError, OSError) as exc:
            error.set(str(exc))
            return
        error.set(None)
        ctrl.set(c)
        base.set(b)

    with solara.Row(gap="6px", style={"align-items": "center"}):
        solara.InputText("Scenario file or name", value=path, dense=True, classes=["acsim-scenario-path"],
                         )
        solara.Button("Load", on_click=lambda: load(), outlined=True, classes=["acsim-load"])
    if error.value:
        solara.Error(error.value, dense=True, classes=["acsim-scenario-error"])
    b = base.value
    if b is not None:
        solara.Text(f"Loaded: {b.name} ({b.path})", classes=["acsim-status", "acsim-scenario-name"])
        if len(b.points) > 1:
            solara.Select(label=f"sweep point ({len(b.points)})", values=list(b.points), value=b.points[b.point], dense=True,
                          on_value=lambda lab: load(b.points.index(lab), b.variant))
        if b.variants:
            solara.Select(label="variant", values=["(none)"] + list(b.variants), value=b.variant or "(none)", dense=True,
                          on_value=lambda v: load(0, None if v == "(none)" else v))
        if b.note:
            solara.Text(b.note, classes=["acsim-status"])
        if b.description:
            with solara.Details("description"):
                solara.Text(b.description, style={"white-space": "pre-wrap", "font-size": "0.85rem"})


@solara.component
def ControlPanel(ctrl: solara.Reactive, base: C.Base | None) -> None:
    c = ctrl.value
    ch = C.choices()

    def set_(**kw) -> None:
        ctrl.set(replace(ctrl.value, **kw))

    def sel(label: str, key: str, values: tuple[str, ...]) -> None:
        vals = list(values)
        if getattr(c, key) not in vals:
            vals.append(getattr(c, key))
        solara.Select(label=label, values=vals, value=getattr(c, key), dense=True,
                      on_value=lambda v: set_(**{key: v}), classes=[f"acsim-{key}"])

    _section("Population")
    solara.InputInt("workers N", value=c.n_workers, dense=True, optional=True, on_value=lambda v: set_(n_workers=v),
                    classes=["acsim-n"])
    DistControls("cost", "cost c", ctrl, base)
    DistControls("gamma", "γ", ctrl, base)
    solara.InputFloat("initial α", value=c.initial_alpha, dense=True, optional=True,
                      on_value=lambda v: set_(initial_alpha=v), classes=["acsim-initial-alpha"])
    _section("Collective")
    with solara.Row(gap="8px"):
        sel("strategy", "strategy", ch["strategy"])
        solara.InputInt("target class", value=c.target, dense=True, optional=True, on_value=lambda v: set_(target=v),
                        classes=["acsim-target"])
    _section("Firm")
    sel("firm", "firm", ch["firm"])
    if c.firm == "theory":
        sel("S(α) curve", "curve", ch["curve"])
        if c.curve == "sigmoid":
            with solara.Row(gap="8px"):
                solara.InputFloat("midpoint", value=c.midpoint, dense=True, optional=True, on_value=lambda v: set_(midpoint=v))
                solara.InputFloat("slope", value=c.slope, dense=True, optional=True, on_value=lambda v: set_(slope=v))
    elif c.firm in C.TEXT_FIRMS:
        solara.InputInt("epochs (empty: learner default)", value=c.epochs, dense=True, optional=True,
                        on_value=lambda v: set_(epochs=v), classes=["acsim-epochs"])
        if c.firm == "transformer":
            solara.Text("A transformer round takes seconds to minutes; it runs in the background.", classes=["acsim-status"])
    _section("Workers")
    sel("belief", "belief", ch["belief"])
    sel("network", "network", ch["network"])
    _section("Principal")
    sel("policy", "principal", ch["principal"])
    sel("stops at", "principal_stop", ch["principal_stop"])
    with solara.Row(gap="8px"):
        solara.InputFloat("budget (empty: unlimited)", value=c.budget, dense=True, optional=True,
                          on_value=lambda v: set_(budget=None if v is None or math.isinf(v) else v), classes=["acsim-budget"])
        solara.InputInt("recruits/round", value=c.recruits_per_round, dense=True, optional=True,
                        on_value=lambda v: set_(recruits_per_round=v), classes=["acsim-recruits"])
    _section("Run")
    with solara.Row(gap="8px"):
        solara.InputInt("seed", value=c.seed, dense=True, optional=True, on_value=lambda v: set_(seed=v), classes=["acsim-seed"])
        solara.InputInt("rounds", value=c.rounds, dense=True, optional=True, on_value=lambda v: set_(rounds=v),
                        classes=["acsim-rounds"])


def _fmt(x: float, digits: int = 3) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}g}"


@solara.component
def LiveView(session: Session, version: int, params, error: str | None) -> None:
    """Buttons, round counter, status and charts; re-rendered on every session notify (``version``)."""
    st = session.status()
    snap = session.snapshot
    valid = params is not None and error is None
    pending = valid and session.params != params

    def do_reset() -> None:
        if params is not None:
            session.reset(params)

    with solara.Row(gap="10px", style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.Button("Step", on_click=session.step, disabled=st.busy or st.playing or snap is None,
                      color="primary", icon_name="mdi-step-forward", classes=["acsim-step"])
        solara.Button("Pause" if st.playing else "Play", on_click=session.toggle,
                      disabled=snap is None or st.phase == "building",
                      icon_name="mdi-pause" if st.playing else "mdi-play", classes=["acsim-play"])
        solara.Button("Reset", on_click=do_reset, disabled=not valid, icon_name="mdi-restore",
                      color="warning" if pending else None, classes=["acsim-reset"])
        solara.Text(f"Round: {st.round}", classes=["acsim-round"])
        if snap is not None:
            solara.Text(
                f"α now = {_fmt(snap.alpha)} ({snap.members:,} of {snap.n_workers:,} members) · S = {_fmt(snap.success)} · "
                f"spent {_fmt(snap.spend_total)} · principal: {snap.principal_status}",
                classes=["acsim-headline"],
            )
    if error:
        solara.Error(error, classes=["acsim-error"])
    elif pending:
        solara.Info("Controls changed: press Reset to build a model with them.", dense=True, classes=["acsim-pending"])
    if st.error:
        solara.Error(st.error, classes=["acsim-error", "acsim-run-error"])
    if st.busy:
        frac = None
        if st.expected and st.expected > 1.0 and st.phase == "stepping":
            frac = min(99.0, 100.0 * st.elapsed / st.expected)
        solara.ProgressLinear(True if frac is None else frac, classes=["acsim-progress"])
        eta = f" (last round took {st.expected:.1f} s)" if st.expected and st.expected > 1.0 else ""
        solara.Text(f"{st.message} {st.elapsed:.1f} s{eta}", classes=["acsim-status", "acsim-busy"])
    else:
        solara.Text(st.message, classes=["acsim-status"])
    if st.discarded:
        solara.Text(f"{st.discarded} background result(s) from before a Reset were discarded.", classes=["acsim-status"])
    if snap is None:
        return
    solara.Text(snap.summary, classes=["acsim-status", "acsim-summary"])
    with solara.GridFixed(columns=3, column_gap="6px", row_gap="6px"):
        for name in CHARTS:
            solara.Image(snap.charts[name], width="100%", classes=["acsim-chart", f"acsim-chart-{name}"])
    if len(snap.rows):
        solara.HTML(tag="table", unsafe_innerHTML=rows_html(snap.rows), classes=["acsim-rows"])
    with solara.Row(gap="10px"):
        if len(snap.rows):
            solara.FileDownload(lambda: snap.rows.to_csv(index=False), filename=f"acsim-dashboard-seed{snap.seed}.csv",
                                label=f"rows of this run ({len(snap.rows)} rounds, CSV)")
        prev = session.previous_rows
        if prev is not None and len(prev):
            solara.FileDownload(lambda: prev.to_csv(index=False), filename="acsim-dashboard-previous.csv",
                                label=f"previous run ({len(prev)} rounds, CSV)")


@solara.component
def Page() -> None:
    init = solara.use_memo(_initial, dependencies=[])
    ctrl = solara.use_reactive(init[0])
    base = solara.use_reactive(init[1])
    scenario_error = solara.use_reactive(init[2])
    path = solara.use_reactive(init[3])
    version = solara.use_reactive(0)
    counter = solara.use_memo(lambda: itertools.count(1), dependencies=[])

    def notify() -> None:
        version.set(next(counter))

    session = solara.use_memo(lambda: Session(notify), dependencies=[])

    try:
        params, error = C.to_params(ctrl.value, base.value), None
    except ValueError as exc:
        params, error = None, str(exc)

    def start():
        if params is not None:
            session.reset(params)
        return session.close

    solara.use_effect(start, dependencies=[])

    solara.Title("acsim dashboard")
    solara.Style(CSS)
    with solara.AppBarTitle():
        solara.Text("acsim: watch a collective form")
    with solara.Sidebar():
        ScenarioPanel(ctrl, base, path, scenario_error)
        ControlPanel(ctrl, base.value)
    LiveView(session, version.value, params, error)
