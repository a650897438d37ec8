"""One browser page's simulation: the model, its rounds in a background thread, and what the page shows.

:class:`Session` owns a :class:`acsim.abm.model.CollectiveActionModel` and runs every
piece of model work (building, ``model.step()``, drawing the charts) in a background
thread, so a round of the transformer firm that takes minutes never blocks the page:

* ``step()`` runs one round; a Step while a round runs (or the model is being built) is
  queued, never dropped: each click is one round, run one after the other, and
  ``Status.queued`` says how many are still to come (a page sends clicks faster than
  it can disable its button, so refusing them would lose clicks without a word);
* ``play()`` keeps stepping until ``pause()`` (a Pause during a round lets that round
  finish and show, then stops; it also drops queued Steps) or until the run's ``rounds``;
* ``reset(params)`` starts a new *generation*: a fresh model is built at once, and a
  round of the old model still running finishes in the background and its result is
  discarded (counted in ``Status.discarded``); the old run's rows stay available as
  ``previous_rows``;
* an exception in a round or in building stops play and shows as ``Status.error``;
  the server never dies;
* building also does round 1's first work (:meth:`CollectiveActionModel.prepare`: a text
  firm tokenizes its corpus, a principal probes the firm), so it happens as the page opens,
  and what the work reports (:mod:`acsim.progress`) shows as ``Status.detail``.

The page never receives data pushed from the thread: the session calls ``notify()``
(the page's "something changed" bump, safe from any thread) and the page reads the
current :meth:`status` and :attr:`snapshot`, so it always shows the latest state.
Nothing here imports solara: the tests and the benchmark drive a Session directly.

The session reads the model through its public API (``step``, ``results``, ``seed``,
:func:`acsim.abm.summary.summarize`) and writes nothing onto it; what the dashboard
keeps per model (the network sample, the cache of unchanged charts) lives in the
session's own state and goes with the model at a Reset.

Why hand-written threads rather than ``solara.lab.task`` (Solara's documented way to run
work in the background): a task keeps only its latest call, and calling it again while
it runs leaves the earlier call running, unwatched (checked against solara 1.64:
``TaskThreaded.__call__`` starts a new thread without waiting for or stopping the
previous one, whose ``is_current()`` just turns False). Here one model must never be stepped
by two threads at once, and ``model.step()`` (minutes for a transformer) cannot stop
midway to check ``task.is_current()``; a Reset must build the new model at once while the
old round finishes and is discarded, and queued Steps must run one after the other. So a
session runs at most one round at a time, in its own thread, and counts generations
itself. Solara starts these threads with the page's kernel context (it patches
``threading.Thread``, as for a task's thread), and ``notify()`` only bumps a reactive
value, whose re-render reacton serialises with the page's own.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

import pandas as pd

from acsim.abm.model import CollectiveActionModel, ModelParams
from acsim.progress import Progress, watching
from dashboard.charts import ChartCache
from dashboard.network_sample import sample_network
from dashboard.state import SessionState, Snapshot, Status, describe_error


class Session:
    """See the module docstring. ``notify`` is called (from any thread, without locks held)
    whenever :meth:`status` or :attr:`snapshot` changed."""

    def __init__(
        self,
        notify: Callable[[], None] | None = None,
        *,
        play_delay: float = 0.15,
        tick: float = 0.5,
        quiet: float = 1.0,
        progress_every: float = 0.25,
        sample_nodes: int = 300,
    ) -> None:
        self._notify = notify or (lambda: None)
        self.play_delay = float(play_delay)
        self.tick = float(tick)
        self.quiet = float(quiet)
        self.progress_every = float(progress_every)
        self.sample_nodes = int(sample_nodes)
        self._lock = threading.RLock()
        self._s = SessionState()
        self._closed = False
        self._threads: list[threading.Thread] = []

    # ------------------------------------------------------------------ reading
    @property
    def snapshot(self) -> Snapshot | None:
        with self._lock:
            return self._s.snapshot

    @property
    def params(self) -> ModelParams | None:
        """The parameters of the model on screen (or being built)."""
        with self._lock:
            return self._s.params

    @property
    def previous_rows(self) -> pd.DataFrame | None:
        with self._lock:
            return self._s.previous_rows

    @property
    def generation(self) -> int:
        with self._lock:
            return self._s.generation

    def status(self) -> Status:
        with self._lock:
            s = self._s
            return Status(
                # Rounds done and shown (Mesa counts a round as soon as it starts).
                phase=s.phase, busy=s.busy, playing=s.playing, round=s.snapshot.round if s.snapshot is not None else 0,
                running_round=s.running_round, elapsed=(time.monotonic() - s.started) if s.busy else 0.0,
                expected=s.last_round_seconds, message=s.message, error=s.error, discarded=s.discarded,
                firm=s.params.firm if s.params is not None else "", stopping=s.busy and not s.playing and s.extra.get("was_playing", False),
                queued=s.queued, refused=s.refused, detail=s.detail if s.busy else "", share=s.share if s.busy else None,
            )

    def rows(self) -> pd.DataFrame:
        snap = self.snapshot
        return snap.rows if snap is not None else pd.DataFrame()

    # ------------------------------------------------------------------ commands
    def reset(self, params: ModelParams, data: tuple[Any, Any] | None = None) -> int:
        """Build a fresh model from ``params`` (in the background). Returns the new generation."""
        with self._lock:
            s = self._s
            if s.snapshot is not None and len(s.snapshot.rows):
                s.previous_rows = s.snapshot.rows
            s.generation += 1
            gen = s.generation
            s.model, s.params, s.sample, s.charts, s.snapshot = None, params, None, None, None
            s.phase, s.busy, s.playing, s.error = "building", True, False, None
            s.started, s.running_round, s.last_round_seconds = time.monotonic(), None, None
            s.queued, s.refused = 0, 0  # Steps asked of the old model are not run on the new one
            s.extra = {}
            s.message = f"Building the model ({params.firm} firm, {params.n_workers:,} workers)…"
            s.detail, s.share = "", None
        self._spawn(gen, self._build, params, data)
        self._notify()
        return gen

    def step(self) -> bool:
        """Run one round in the background, or queue it while a round runs or the model is built.

        False (nothing done, and for a click while playing counted in ``Status.refused``)
        while playing, without a model, or after :meth:`close`.
        """
        with self._lock:
            s = self._s
            if self._closed or (s.model is None and s.phase != "building"):
                return False
            if s.playing:
                s.refused += 1  # the page's Step is disabled while playing; a click sent before says so
                start, accepted = False, False
            elif s.busy:
                s.queued += 1
                s.refused = 0
                start, accepted = False, True
            else:
                self._claim(s)
                s.refused = 0
                gen = s.generation
                start, accepted = True, True
        if start:
            self._spawn(gen, self._rounds)
        self._notify()
        return accepted

    def play(self) -> bool:
        """Keep stepping until :meth:`pause` (or ``params.rounds``; if already past it, that many more)."""
        with self._lock:
            s = self._s
            if s.model is None or s.playing or self._closed:
                return False
            done = s.model.steps
            rounds = s.params.rounds if s.params is not None else 20
            s.play_until = rounds if done < rounds else done + rounds
            s.playing = True
            s.queued, s.refused = 0, 0  # Play runs rounds anyway: queued Steps would only add to them after a Pause
            s.extra["was_playing"] = True
            start = not s.busy
            if start:
                self._claim(s)
            gen = s.generation
        if start:
            self._spawn(gen, self._rounds)
        self._notify()
        return True

    def pause(self) -> None:
        """Stop playing and drop queued Steps; a round that is running finishes (and is shown) first."""
        with self._lock:
            s = self._s
            if not s.playing and not s.queued:
                return
            s.playing, s.queued = False, 0
            if s.busy and s.running_round is not None:
                s.message = f"Pausing after round {s.running_round}…"
        self._notify()

    def toggle(self) -> None:
        """Play, or Pause while playing or while Steps are queued (the page's Play / Pause button)."""
        st = self.status()
        if st.playing or st.queued:
            self.pause()
        else:
            self.play()

    def close(self) -> None:
        """The page went away: stop playing; running work is discarded when it finishes."""
        with self._lock:
            self._closed = True
            self._s.playing = False
            self._s.generation += 1

    def wait_idle(self, timeout: float = 60.0) -> Status:
        """Block until no operation is running (for tests and scripts)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            st = self.status()
            if not st.busy:
                return st
            time.sleep(0.01)
        raise TimeoutError(f"session still busy after {timeout} s: {self.status()}")

    def join(self, timeout: float = 60.0) -> Status:
        """Block until every background thread of this session has ended, discarded work included
        (for tests: after it nothing can change any more until the next command)."""
        end = time.monotonic() + timeout
        while True:
            with self._lock:
                alive = [t for t in self._threads if t.is_alive()]
                self._threads = alive
            if not alive:
                return self.status()
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"session threads still running after {timeout} s: {[t.name for t in alive]}")
            alive[0].join(min(left, 0.5))

    # ------------------------------------------------------------------ background work
    def _claim(self, s: SessionState) -> None:
        s.busy, s.phase, s.error, s.detail, s.share = True, "stepping", None, "", None
        s.started = time.monotonic()

    def _spawn(self, gen: int, fn: Callable[..., None], *args: Any) -> None:
        t = threading.Thread(target=self._guard, args=(gen, fn, *args), name=f"acsim-dashboard-{gen}", daemon=True)
        with self._lock:
            self._threads = [x for x in self._threads if x.is_alive()] + [t]
        t.start()

    def _current(self, gen: int) -> bool:
        return self._s.generation == gen and not self._closed

    def _guard(self, gen: int, fn: Callable[..., None], *args: Any) -> None:
        stop = threading.Event()
        ticker = threading.Thread(target=self._ticker, args=(gen, stop), name=f"acsim-dashboard-tick-{gen}", daemon=True)
        with self._lock:
            self._threads.append(ticker)
        ticker.start()
        try:
            with watching(lambda p: self._progress(gen, p)):
                fn(gen, *args)
        except BaseException as exc:  # noqa: BLE001 - nothing a round does may take the server down
            with self._lock:
                if not self._discard(gen):
                    s = self._s
                    s.busy, s.playing, s.running_round, s.queued = False, False, None, 0
                    s.phase = "error" if s.model is None else "ready"
                    s.error = describe_error(exc)
                    s.message = ""
            self._notify()
        finally:
            stop.set()

    def _progress(self, gen: int, p: Progress) -> None:
        # What a long build or round is doing: a re-render at most every `progress_every` seconds
        # (the ticker shows a report that came in between).
        now = time.monotonic()
        with self._lock:
            s = self._s
            if not self._current(gen) or not s.busy:
                return
            s.detail = str(p)
            s.share = p.done / p.total if p.total and p.done is not None else None
            due = now - s.detail_at >= self.progress_every
            if due:
                s.detail_at = now
        if due:
            self._notify()

    def _ticker(self, gen: int, stop: threading.Event) -> None:
        # Elapsed seconds of a long operation: one notify per tick once it has run for `quiet`
        # seconds (a shorter round shows only its result: re-rendering the page meanwhile would
        # only compete with it for the cores).
        if stop.wait(max(self.quiet - self.tick, 0.0)):
            return
        while not stop.wait(self.tick):
            with self._lock:
                live = self._current(gen) and self._s.busy
            if not live:
                return
            self._notify()

    def _discard(self, gen: int) -> bool:
        """Under the lock: True (and counted) if ``gen``'s result came after a Reset."""
        if self._current(gen):
            return False
        self._s.discarded += 1
        return True

    def _build(self, gen: int, params: ModelParams, data: tuple[Any, Any] | None) -> None:
        t0 = time.perf_counter()
        model = CollectiveActionModel(params, data=data)
        model.prepare()
        sample = sample_network(model, self.sample_nodes, seed=model.seed)
        charts = ChartCache()
        snap = Snapshot.of(gen, model, sample, charts, params)
        with self._lock:
            if not self._discard(gen):
                s = self._s
                s.model, s.sample, s.charts, s.snapshot = model, sample, charts, snap
                s.busy, s.phase, s.running_round = False, "ready", None
                s.message = f"Model ready in {time.perf_counter() - t0:.1f} s: round 0. Step or Play."
                # Steps clicked while the model was built run now, one round each.
                queued = s.queued > 0
                if queued:
                    s.queued -= 1
                    self._claim(s)
            else:
                queued = False
        self._notify()
        if queued:
            self._rounds(gen)

    def _rounds(self, gen: int) -> None:
        while True:
            with self._lock:
                if not self._current(gen):
                    return
                s = self._s
                model, params, sample, charts = s.model, s.params, s.sample, s.charts
                assert model is not None and params is not None and charts is not None
                s.running_round = model.steps + 1
                s.started, s.detail, s.share = time.monotonic(), "", None
                verb = "training the " + params.firm + " firm" if params.firm in ("bow", "transformer") else "computing"
                s.message = f"Round {s.running_round}: {verb}…"
            # No notify here: the click already re-rendered the page, and a round that takes
            # longer than a tick is announced by the ticker (a re-render now would only
            # compete with the round for the interpreter).
            t0 = time.perf_counter()
            model.step()
            seconds = time.perf_counter() - t0
            # After a Reset nobody will look at this round: skip drawing it.
            snap = Snapshot.of(gen, model, sample, charts, params) if self._current(gen) else None
            with self._lock:
                if snap is None or self._discard(gen):
                    if snap is None:
                        self._s.discarded += 1
                    more = False
                else:
                    s = self._s
                    s.snapshot = snap
                    s.last_round_seconds = seconds
                    s.running_round = None
                    if s.playing:
                        more = model.steps < s.play_until
                    else:  # the next queued Step, if any
                        more = s.queued > 0
                        if more:
                            s.queued -= 1
                    if not more:
                        s.busy, s.phase = False, "ready"
                        if s.playing:
                            s.playing = False
                            s.message = f"Played to round {model.steps} (the run's rounds); Step or Play goes on."
                        else:
                            s.message = f"Round {model.steps} done in {seconds:.2f} s (charts {snap.render_seconds:.2f} s)."
                        s.extra["was_playing"] = False
                    else:
                        then = "playing…" if s.playing else "running the queued Steps…"
                        s.message = f"Round {model.steps} done in {seconds:.2f} s (charts {snap.render_seconds:.2f} s); {then}"
                    playing = s.playing
            self._notify()
            if not more:
                return
            if playing:
                time.sleep(self.play_delay)
