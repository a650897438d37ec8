"""The acsim dashboard: watch a collective form, round by round (``solara run dashboard/app.py``).

Started by ``acsim dashboard [SCENARIO]`` (see :mod:`acsim.cli.serve`), which passes the
scenario in the ``ACSIM_DASHBOARD_SCENARIO`` environment variable.

Layout: the side panel holds the controls (scenario file; population, cost and γ;
strategy and target; firm; beliefs and network; principal and budget; seed and
rounds); the main area the Step / Play / Reset buttons, the round counter, the status
of the background round, and six live charts (see :mod:`dashboard.charts`). Controls
take effect on Reset. A numeric box refuses text it cannot use (not a number, not a
whole number where one is needed, out of range, empty) with a message naming the box,
the value and its range (the schema's, :func:`acsim.abm.fields.range_of`), under the box
and above the charts, and a rule across fields (network beliefs without a network) shows
ModelParams' message too; while any message shows, Step, Play and Reset are disabled and
nothing is built.

Each page (browser tab) has its own :class:`dashboard.session.Session`; all model work
runs in the session's background thread, so the page stays responsive while a firm
trains, and Pause / Reset work mid-round. A Step clicked while a round runs is queued
(the page says how many are waiting), never dropped.

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
from pathlib import Path
from typing import Callable

# `solara run dashboard/app.py` runs this file as a script: make `dashboard.*` importable.
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import solara  # noqa: E402

from dashboard import controls as C  # noqa: E402
from dashboard.charts import CHARTS, blank_png  # noqa: E402
from dashboard.panel import ControlPanel, ScenarioPanel  # noqa: E402
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
    "round": "round", "alpha": "α at start", "members": "members at start", "S": "S", "bound": "bound", "joins": "joins", "leaves": "leaves",
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


def _fmt(x: float, digits: int = 3) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}g}"


def _csv(rows) -> Callable[[], str] | None:
    return None if rows is None or not len(rows) else (lambda: rows.to_csv(index=False))


@solara.component
def LiveView(session: Session, version: solara.Reactive, params, errors: tuple[tuple[str, bool], ...]) -> None:
    """Buttons, round counter, status and charts; re-rendered on every session notify (``version``).

    ``errors``: the messages that block Step, Play and Reset, each with whether it comes
    from a text box (shown as typed there) rather than from the controls as a whole.

    Every render has the same widgets in the same places, whatever the state: parts
    that come and go (the progress bar, the messages, the charts while a model is built)
    are hidden, emptied or live in a container of their own. Otherwise each round would
    shift the charts' place among their siblings, reacton would close and re-create all
    six image widgets twice a round, and a browser still drawing a closed one fails with
    "widget model not found" (seen with several pages and fast clicks).
    """
    version.value  # noqa: B018 - read to re-render on every notify of the session
    st = session.status()
    snap = session.snapshot
    valid = params is not None and not errors
    pending = valid and session.params != params
    lined_up = st.playing or st.queued > 0  # rounds that will run without another click

    def do_reset() -> None:
        if valid:
            session.reset(params)

    def do_step() -> None:
        # The button is disabled while a control is invalid; a click sent before the page
        # showed that is refused here too, so Step never runs a model the panel contradicts.
        if valid:
            session.step()

    def do_play() -> None:
        if lined_up or valid:  # Pause always works
            session.toggle()

    with solara.Row(gap="10px", style={"align-items": "center", "flex-wrap": "wrap"}):
        # Step stays enabled while a round runs: a click then is queued (and the page says so).
        # Disabled, it drops its colour (Vuetify keeps a disabled primary button purple).
        step_off = not valid or st.playing or snap is None
        solara.Button("Step", on_click=do_step, disabled=step_off, color=None if step_off else "primary",
                      icon_name="mdi-step-forward", classes=["acsim-step"])
        solara.Button("Pause" if lined_up else "Play", on_click=do_play,
                      disabled=not lined_up and (not valid or snap is None or st.phase == "building"),
                      icon_name="mdi-pause" if lined_up else "mdi-play", classes=["acsim-play"])
        solara.Button("Reset", on_click=do_reset, disabled=not valid, icon_name="mdi-restore",
                      color="warning" if pending else None, classes=["acsim-reset"])
        solara.Text(f"Round: {st.round}", classes=["acsim-round"])
        solara.Text(
            f"α now = {_fmt(snap.alpha)} ({snap.members:,} of {snap.n_workers:,} members) · S = {_fmt(snap.success)} · "
            f"spent {_fmt(snap.spend_total)} · principal: {snap.principal_status}" if snap is not None else "",
            classes=["acsim-headline"],
        )
    with solara.Column(gap="4px", classes=["acsim-messages"]):
        for msg, from_box in errors:
            solara.Error(msg, dense=True, classes=["acsim-error"] + (["acsim-input-error"] if from_box else []))
        if errors:
            solara.Text("Step, Play and Reset wait until the values named above are fixed.",
                        classes=["acsim-status", "acsim-blocked"])
        elif pending:
            solara.Info("Controls changed: press Reset to build a model with them.", dense=True, classes=["acsim-pending"])
        if st.error:
            solara.Error(st.error, classes=["acsim-error", "acsim-run-error"])
    frac: float | bool = False
    if st.busy:
        frac = True
        if st.expected and st.expected > 1.0 and st.phase == "stepping":
            frac = min(99.0, 100.0 * st.elapsed / st.expected)
        elif st.share is not None:  # a step of the build that says how far it is (probes 3 of 8)
            frac = 100.0 * st.share
    solara.ProgressLinear(frac, classes=["acsim-progress"] if st.busy else [])
    if st.busy:
        eta = f" (last round took {st.expected:.1f} s)" if st.expected and st.expected > 1.0 else ""
        doing = f" {st.detail}…" if st.detail else ""
        solara.Text(f"{st.message}{doing} {st.elapsed:.1f} s{eta}", classes=["acsim-status", "acsim-message", "acsim-busy"])
    else:
        solara.Text(st.message, classes=["acsim-status", "acsim-message"])
    notes = []
    if st.queued:
        notes.append(f"{st.queued} more Step{'s' if st.queued > 1 else ''} queued: "
                     f"{'they run' if st.queued > 1 else 'it runs'} after this round (Pause drops them).")
    if st.refused:
        notes.append(f"{st.refused} Step click(s) came during Play and did not run (Play already runs rounds).")
    if st.discarded:
        notes.append(f"{st.discarded} background result(s) from before a Reset were discarded.")
    solara.Text(" ".join(notes), classes=["acsim-status", "acsim-notes"] + (["acsim-queued"] if st.queued else []))
    solara.Text(snap.summary if snap is not None else "", classes=["acsim-status", "acsim-summary"])
    with solara.GridFixed(columns=3, column_gap="6px", row_gap="6px"):
        for name in CHARTS:
            if snap is not None:
                solara.Image(snap.charts[name], width="100%", classes=["acsim-chart", f"acsim-chart-{name}"])
            else:  # a model is being built: same widget, blank (tests wait for acsim-chart-NAME)
                solara.Image(blank_png(), width="100%", classes=["acsim-chart", "acsim-chart-pending"])
    rows = snap.rows if snap is not None else None
    solara.HTML(tag="table", unsafe_innerHTML=rows_html(rows) if rows is not None and len(rows) else "",
                classes=["acsim-rows"])
    # One download callback per run and round, not per render: FileDownload restarts its
    # worker thread whenever the callback changes, and the page re-renders on every tick.
    shown = (snap.generation, snap.round) if snap is not None else None
    csv_now = solara.use_memo(lambda: _csv(rows), dependencies=[shown])
    prev = session.previous_rows
    csv_prev = solara.use_memo(lambda: _csv(prev), dependencies=[id(prev)])
    with solara.Row(gap="10px"):
        if csv_now is not None and rows is not None:
            solara.FileDownload(csv_now, filename=f"acsim-dashboard-seed{snap.seed}.csv",
                                label=f"rows of this run ({len(rows)} rounds, CSV)")
        if csv_prev is not None and prev is not None:
            solara.FileDownload(csv_prev, filename="acsim-dashboard-previous.csv",
                                label=f"previous run ({len(prev)} rounds, CSV)")


@solara.component
def Page() -> None:
    Dashboard()


@solara.component
def Dashboard(sidebar: bool = True) -> None:
    """The whole page: its state, the side panel and the live view.

    ``sidebar=False`` puts the panel in a plain column instead of Solara's app sidebar
    (the tests render the page without a server, where the sidebar is not drawn).
    """
    init = solara.use_memo(_initial, dependencies=[])
    ctrl = solara.use_reactive(init[0])
    base = solara.use_reactive(init[1])
    scenario_error = solara.use_reactive(init[2])
    path = solara.use_reactive(init[3])
    texts = solara.use_reactive({})  # what was typed in the numeric boxes, by Controls field (see NumberBox)
    # Bumped by the session (from its threads); only LiveView reads it, so a round
    # re-renders the live view and not the side panel.
    version = solara.use_reactive(0)
    counter = solara.use_memo(lambda: itertools.count(1), dependencies=[])

    def notify() -> None:
        version.set(next(counter))

    session = solara.use_memo(lambda: Session(notify), dependencies=[])

    box_errors = C.text_errors(ctrl.value, texts.value)
    if box_errors:
        # A box's text is not allowed: the controls hold its last good value, which
        # nobody asked for; name only what the person has to fix.
        params, errors = None, tuple((m, True) for m in box_errors.values())
    else:
        try:
            params, errors = C.to_params(ctrl.value, base.value), ()
        except ValueError as exc:
            params, errors = None, ((str(exc), False),)

    def start():
        if params is not None:
            session.reset(params)
        return session.close

    solara.use_effect(start, dependencies=[])

    solara.Title("acsim dashboard")
    solara.Style(CSS)
    with solara.AppBarTitle():
        solara.Text("acsim: watch a collective form")
    with (solara.Sidebar() if sidebar else solara.Column(classes=["acsim-panel"])):
        ScenarioPanel(ctrl, base, path, scenario_error, texts)
        ControlPanel(ctrl, texts)
    LiveView(session, version, params, errors)
