"""Several collectives on one platform, and members who do not all follow the plan.

Karan et al. ("Algorithmic Collective Action with Multiple Collectives", FAccT 2025) ask
what a second and third collective do to the first's success; studies of coordination
ask what happens when each member follows the strategy only with probability q. In the
resume experiments (:mod:`acsim.platform.experiments`) a curve may carry

* ``others``: further collectives (:class:`Other`: a share of the training resumes, a
  target class, a trigger, a strategy), their members drawn from the resumes the first
  collective does not hold (membership is exclusive), their targets free to overlap;
* ``coordination`` q: every member of every collective follows its strategy with
  probability q (seeded per member); the others deviate by ``noise``: ``"nothing"`` (they
  leave their resume as it is), ``"spacing"`` (they plant the trigger every 5·k-th word
  instead of every k-th) or ``"other-trigger"`` (they plant the next collective's trigger,
  or U+2021 when there is no other collective, and still take their own target).

Each collective's success is measured with its own trigger and target on the same
trained firm: ``success_inclusion_c2``, ``success_top1_c2``, ... for the others.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from acsim.platform.data.base import TextDataset
from acsim.platform.learners.base import Learner
from acsim.platform.metrics import success_rates
from acsim.platform.strategies import Strategy, apply_strategy, plant_triggers
from acsim.platform.text import RIVAL_TRIGGER, TRIGGER

NOISE = ("nothing", "spacing", "other-trigger")
WRONG_SPACING = 5  # "the wrong spacing": the trigger this many times sparser than agreed


@dataclass(frozen=True)
class Other:
    """A further collective: ``alpha`` of the training resumes, its ``target``, ``trigger`` and ``strategy``."""

    alpha: float
    target: int
    trigger: str = RIVAL_TRIGGER
    strategy: str = "feature-label"

    def __post_init__(self) -> None:
        if not 0.0 < self.alpha < 1.0:
            raise ValueError(f"a collective's alpha must be in (0, 1), got {self.alpha!r}")
        if not self.trigger:
            raise ValueError("a collective's trigger must be a non-empty string")
        Strategy.parse(self.strategy)


def checked(curve) -> tuple[Other, ...]:
    """A curve's ``others`` as :class:`Other` (dicts come from a run's JSON), its q and noise checked."""
    if not 0.0 <= curve.coordination <= 1.0:
        raise ValueError(f"coordination must be in [0, 1], got {curve.coordination!r}")
    if curve.noise not in NOISE:
        raise ValueError(f"noise must be one of {', '.join(NOISE)}, got {curve.noise!r}")
    return tuple(o if isinstance(o, Other) else Other(**o) for o in (curve.others or ()))


def key(curve) -> str:
    """What the further collectives and q add to a curve's name ("" for one collective that follows)."""
    more = "".join(f" +c{j}(α={o.alpha:g} y*={o.target} {o.trigger})" for j, o in enumerate(curve.others, 2))
    return more + (f" q={curve.coordination:g} ({curve.noise})" if curve.coordination < 1 else "")


def curve_params(curve) -> dict:
    """A curve as a run's parameters, without the fields of this module at their defaults: a
    single collective that follows keeps the run id it had before they existed."""
    d = asdict(curve)
    for k, default in (("others", []), ("coordination", 1.0), ("noise", "nothing")):
        if k in d and (d[k] == default or (k == "others" and not d[k])):
            d.pop(k)
    if "others" in d:
        d["others"] = [dict(o) for o in d["others"]]  # JSON's list, as a run's parameters come back
    return d


def plant(train: TextDataset, members: np.ndarray, curve, seed: int) -> tuple[TextDataset, list[np.ndarray]]:
    """The platform's data after every collective of ``curve`` acts; and each one's members.

    ``members`` are the first collective's (as :func:`acsim.platform.experiments.select_members`
    drew them); the others' are drawn, seeded, from the rest. Who follows is drawn per
    member with probability ``curve.coordination``.
    """
    rng = np.random.default_rng([seed, 7919, len(curve.others)])
    free = np.setdiff1d(np.arange(len(train)), members)
    groups = [np.asarray(members)]
    for o in curve.others:
        k = min(free.size, max(1, int(round(o.alpha * len(train)))))
        pick = np.sort(rng.choice(free, size=k, replace=False))
        free = np.setdiff1d(free, pick)
        groups.append(pick)
    plans = [(curve.strategy, curve.target, TRIGGER, curve.spacing),
             *((o.strategy, o.target, o.trigger, curve.spacing) for o in curve.others)]
    follow = [rng.random(idx.size) < curve.coordination for idx in groups]
    data = act(train, groups, plans, follow, curve.noise)
    return data, groups


def act(data: TextDataset, groups: list[np.ndarray], plans: list[tuple[str, int, str, int]], follow: list[np.ndarray],
        noise: str) -> TextDataset:
    """The data after each collective acts: group j's rows ``groups[j]`` with ``follow[j]`` apply
    plan j = (strategy, target, trigger, spacing); the rest deviate by ``noise`` (:data:`NOISE`).

    The one place the deviations are written (the resume experiments and the agent-based
    model's text firm both plant through it)."""
    for j, (idx, (strategy, target, trigger, spacing), f) in enumerate(zip(groups, plans, follow)):
        if idx.size == 0:
            continue  # nothing to plant (the data would come back unchanged)
        data = apply_strategy(data, idx[f], strategy, target, trigger=trigger, spacing=spacing)
        stray = idx[~f]
        if stray.size and noise != "nothing":
            wrong = plans[(j + 1) % len(plans)][2] if len(plans) > 1 else RIVAL_TRIGGER
            t, k = (trigger, spacing * WRONG_SPACING) if noise == "spacing" else (wrong, spacing)
            data = apply_strategy(data, stray, strategy, target, trigger=t, spacing=k)
    return data


def others_success(firm: Learner, test: TextDataset, curve, threshold: float = 0.5) -> dict[str, float]:
    """Each further collective's success, with its own trigger and target, on the trained firm."""
    out: dict[str, float] = {}
    for j, o in enumerate(curve.others, start=2):
        s = success_rates(firm.predict_scores(plant_triggers(test.texts, o.trigger, curve.spacing)), test.labels, o.target,
                          threshold=threshold)
        out[f"success_inclusion_c{j}"] = s["success_inclusion"]
        out[f"success_top1_c{j}"] = s["success_top1"]
    return out
