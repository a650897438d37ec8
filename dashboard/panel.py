"""The dashboard's side panel: a loaded scenario and every control, as Solara components.

Each numeric box (:func:`NumberBox`) keeps what was typed and shows the message of
:class:`dashboard.controls.Number` (the schema's range) under itself; the page reads the
same messages to disable Step, Play and Reset. Controls take effect on Reset.
"""

from __future__ import annotations

from dataclasses import replace

import solara

from dashboard import controls as C


def _section(title: str) -> None:
    solara.Text(title, classes=["acsim-sidebar-section"])


@solara.component
def NumberBox(field: str, number: C.Number, label: str, ctrl: solara.Reactive, texts: solara.Reactive,
              classes: list[str]) -> None:
    """A numeric text box that refuses what it cannot use, at once and in words.

    What a person types is kept as typed in ``texts`` (by the :class:`Controls` field);
    a text the box accepts also goes into the controls at once, and a text it refuses
    (``"abc"``, ``"2.5"`` for a whole number, ``"1e9"`` above the maximum, nothing at
    all) shows :meth:`C.Number.parse`'s message under the box while the page blocks Step,
    Play and Reset (see :func:`C.text_errors`). The box shows the controls' value
    whenever the typed text is not that value (a scenario was loaded, say), so it never
    shows one number while the model is built from another.
    """
    value = getattr(ctrl.value, field)
    typed = texts.value.get(field)
    shown, error = number.format(value), None
    if typed is not None:
        try:
            parsed = number.parse(typed)
        except ValueError as exc:
            shown, error = typed, str(exc)
        else:
            if parsed == value:
                shown = typed  # "0.50" stays as typed

    def on_text(text: str | None) -> None:
        text = "" if text is None else str(text)
        texts.set({**texts.value, field: text})
        try:
            v = number.parse(text)
        except ValueError:
            return  # the message shows; the controls keep their last good value, and Reset waits
        ctrl.set(replace(ctrl.value, **{field: v}))

    # continuous_update: the message appears (and goes) as the text changes, not on Enter.
    solara.InputText(label, value=shown, on_value=on_text, continuous_update=True, error=error or False,
                     dense=True, classes=classes)


def _forget_texts(texts: solara.Reactive, prefix: str = "") -> None:
    """Drop what was typed in the boxes whose field starts with ``prefix`` (all: ``""``): their values were replaced."""
    kept = {k: v for k, v in texts.value.items() if not k.startswith(prefix)} if prefix else {}
    if kept != texts.value:
        texts.set(kept)


@solara.component
def DistControls(which: str, label: str, ctrl: solara.Reactive, texts: solara.Reactive) -> None:
    c = ctrl.value
    dist = getattr(c, f"{which}_dist")
    values = list(C.EDITABLE_DISTS)
    if dist not in values:
        values.append(dist)  # e.g. "values" from a scenario file

    def set_dist(d: str) -> None:
        _forget_texts(texts, f"{which}_")  # the new family's defaults replace the parameters
        ctrl.set(ctrl.value.with_dist(which, d))

    solara.Select(label=f"{label}: distribution", values=values, value=dist, dense=True,
                  on_value=set_dist, classes=[f"acsim-{which}-dist"])
    names = C.DIST_FIELDS.get(dist)
    if names is None:
        solara.Text(f"{label}: per-worker values from the scenario", classes=["acsim-status"])
        return
    with solara.Row(gap="8px"):
        for i, key in enumerate(names):
            NumberBox(f"{which}_{'ab'[i]}", C.dist_number(which, dist, key), f"{label} {key}", ctrl, texts,
                      classes=[f"acsim-{which}-{key}"])


@solara.component
def ScenarioPanel(ctrl: solara.Reactive, base: solara.Reactive, path: solara.Reactive, error: solara.Reactive,
                  texts: solara.Reactive) -> None:
    def load(point: int = 0, variant: str | None = None) -> None:
        try:
            c, b = C.load(path.value or "", point=point, variant=variant)
        except (ValueError, OSError) as exc:
            error.set(str(exc))
            return
        error.set(None)
        _forget_texts(texts)  # every box now shows the scenario's value
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
def ControlPanel(ctrl: solara.Reactive, texts: solara.Reactive) -> None:
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

    def num(field: str, label: str, cls: str | None = None) -> None:
        NumberBox(field, C.NUMBERS[field], label, ctrl, texts, classes=[cls] if cls else [])

    _section("Population")
    num("n_workers", "workers N", "acsim-n")
    DistControls("cost", "cost c", ctrl, texts)
    DistControls("gamma", "γ", ctrl, texts)
    num("initial_alpha", "initial α", "acsim-initial-alpha")
    _section("Collective")
    with solara.Row(gap="8px"):
        sel("strategy", "strategy", ch["strategy"])
        num("target", "target class", "acsim-target")
    with solara.Row(gap="8px"):
        num("coordination", "members follow (q)", "acsim-coordination")
        if c.firm in C.TEXT_FIRMS and c.coordination < 1:
            sel("the others", "noise", ch["noise"])
    _section("Firm")
    sel("firm", "firm", ch["firm"])
    if c.firm == "theory":
        sel("S(α) curve", "curve", ch["curve"])
        if c.curve == "sigmoid":
            with solara.Row(gap="8px"):
                num("midpoint", "midpoint", "acsim-midpoint")
                num("slope", "slope", "acsim-slope")
    elif c.firm in C.TEXT_FIRMS:
        num("epochs", "epochs (empty: learner default)", "acsim-epochs")
        if c.firm == "bow":
            num("min_df", "min_df: drop rarer tokens (defence)", "acsim-min-df")
        if c.firm == "transformer":
            solara.Text("A transformer round takes seconds to minutes; it runs in the background.", classes=["acsim-status"])
    _section("Workers")
    sel("belief", "belief", ch["belief"])
    sel("network", "network", ch["network"])
    _section("Principal")
    sel("policy", "principal", ch["principal"])
    sel("stops at", "principal_stop", ch["principal_stop"])
    with solara.Row(gap="8px"):
        num("budget", "budget (empty: unlimited)", "acsim-budget")
        num("recruits_per_round", "recruits/round", "acsim-recruits")
    _section("Run")
    with solara.Row(gap="8px"):
        num("seed", "seed", "acsim-seed")
        num("rounds", "rounds", "acsim-rounds")
