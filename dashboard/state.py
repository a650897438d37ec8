"""What a dashboard session holds (:class:`SessionState`) and reports to its page (:class:`Snapshot`, :class:`Status`)."""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Mapping

import pandas as pd

from acsim.abm.model import CollectiveActionModel, ModelParams
from acsim.abm.summary import summarize
from dashboard.charts import ChartCache, render_all
from dashboard.controls import summary
from dashboard.network_sample import NetworkSample


@dataclass(frozen=True)
class Snapshot:
    """What the page shows after a round (or after building: round 0)."""

    generation: int
    round: int
    charts: Mapping[str, bytes]
    rows: pd.DataFrame
    summary: str
    seed: int
    rounds: int
    firm: str
    n_workers: int
    alpha: float
    members: int
    success: float
    spend_total: float
    principal_status: str
    render_seconds: float

    @classmethod
    def of(cls, gen: int, model: CollectiveActionModel, sample: NetworkSample | None, cache: ChartCache,
           params: ModelParams) -> "Snapshot":
        """The model now: its rows, the six charts (:func:`dashboard.charts.render_all`), the headline numbers."""
        t0 = time.perf_counter()
        rows = model.results()
        charts = render_all(model, rows, sample, cache)
        now = summarize(model)
        last = rows.iloc[-1] if len(rows) else None
        return cls(
            generation=gen, round=now.round, charts=charts, rows=rows, summary=summary(params), seed=model.seed,
            rounds=params.rounds, firm=params.firm, n_workers=now.n_workers, alpha=now.alpha, members=now.members,
            success=float(last["S"]) if last is not None else float("nan"),
            spend_total=float(last["spend_total"]) if last is not None else 0.0,
            principal_status=now.principal_status,
            render_seconds=time.perf_counter() - t0,
        )


@dataclass(frozen=True)
class Status:
    """What is happening now (the page polls nothing: it re-reads this on every notify)."""

    phase: str  # empty | building | ready | stepping | error
    busy: bool
    playing: bool
    round: int  # rounds done (and shown) by the current model
    running_round: int | None  # the round being computed, if any
    elapsed: float  # seconds into the current operation
    expected: float | None  # how long the last round took (progress estimate)
    message: str
    error: str | None
    discarded: int
    firm: str = ""
    stopping: bool = False  # Pause was pressed during a round
    queued: int = 0  # Step clicks still to run after the running round (or the build)
    refused: int = 0  # Step clicks that came while playing (Play already runs rounds)
    detail: str = ""  # what the running operation reports it is doing (acsim.progress)
    share: float | None = None  # how far that step is (done / total), where it says


@dataclass
class SessionState:
    """Everything a :class:`dashboard.session.Session` holds, guarded by its lock."""

    generation: int = 0
    model: CollectiveActionModel | None = None
    params: ModelParams | None = None
    sample: NetworkSample | None = None
    charts: ChartCache | None = None  # the model's unchanged charts (kept here, never on the model)
    snapshot: Snapshot | None = None
    phase: str = "empty"
    busy: bool = False
    playing: bool = False
    play_until: int = 0
    queued: int = 0
    refused: int = 0
    started: float = 0.0
    running_round: int | None = None
    last_round_seconds: float | None = None
    message: str = "Press Reset to build the model."
    detail: str = ""
    share: float | None = None
    detail_at: float = 0.0  # when a progress report last re-rendered the page
    error: str | None = None
    discarded: int = 0
    previous_rows: pd.DataFrame | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def describe_error(exc: BaseException) -> str:
    """One line for the page: a user-facing error as it is, anything else with where it was raised."""
    if isinstance(exc, (ValueError, TypeError, OSError, KeyError)):
        return f"{type(exc).__name__}: {exc}"
    tb = traceback.extract_tb(exc.__traceback__)
    where = f" (at {tb[-1].filename.rsplit('/', 1)[-1]}:{tb[-1].lineno})" if tb else ""
    return f"{type(exc).__name__}: {exc}{where}"
