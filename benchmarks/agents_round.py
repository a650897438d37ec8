"""One round's agent work: the vectorised CollectiveActionModel vs a naive per-agent Mesa loop.

    python benchmarks/agents_round.py                 # N = 1k, 10k, 100k, 1M
    python benchmarks/agents_round.py --sizes 1000,100000 --rounds 12
    python benchmarks/agents_round.py --seeding       # also: hubs vs random seeding on a BA graph

"Agent work" is everything in a round except training: the firm's bookkeeping (the
``theory`` firm reads S off a known sigmoid, so nothing is trained), the workers'
decisions, the principal's recruitment, and the DataCollector row. Scenario: N workers
with costs c_i ~ U(0.1, 0.3), γ = 0.5, S(α) = sigmoid(mid 0.1, slope 60), a cheapest-first
principal capped at N/100 recruits per round (so it is active for ~8 rounds and the
measured rounds include recruitment), from α = 0.

The *layout floor*, in the same run: the same N workers' round without a principal (each
worker's decision array read and written once, S, the row); ``recruiting_over_floor`` is a
recruiting round over it, what the principal's recruitment adds.

A second scenario (``--network``, vectorised only) adds a Barabási–Albert contact
network (m = 3) and network beliefs: one sparse mat-vec per round on top.

Baseline, in the same run: the same model written the way a first Mesa model is
written: a ``NaiveWorker`` agent per worker whose ``step()`` applies the join rule in
Python, ``agents_by_type[NaiveWorker].do("step")``, a principal that loops over the
agents (sorts the non-members by shortfall, pays one at a time), DataCollector reporters
that sum over agents. Both models must produce the same trajectory (checked, printed).
Beside it, two honest variants: the *careful* one a user who profiles would write (the same
agents, ``heapq.nsmallest`` for the principal's recruits instead of a full sort, member
counters instead of sums over the agents) and the naive one activated with Mesa's
documented ``shuffle_do`` (random order each round); the careful ratio is the headline.

Writes ``benchmarks/results/agents_round.json`` (and ``network_seeding.json`` with
``--seeding``). Timings: median per-round wall time over the measured rounds.
"""

from __future__ import annotations

import argparse
import gc
import heapq
import json
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import mesa
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from acsim.abm.model import CollectiveActionModel  # noqa: E402

MID, SLOPE = 0.1, 60.0
GAMMA = 0.5
COSTS = {"low": 0.1, "high": 0.3}


def sigmoid(a: float) -> float:
    return 1.0 / (1.0 + math.exp(-SLOPE * (a - MID)))


def vectorised_model(n: int, seed: int, network: bool = False, principal: bool = True) -> CollectiveActionModel:
    extra = dict(belief="network", network="barabasi_albert", network_params={"m": 3}) if network else {}
    hire = dict(principal="cheapest", recruits_per_round=max(1, n // 100)) if principal else {}
    return CollectiveActionModel(
        n_workers=n, seed=seed, firm_params={"curve": "sigmoid", "midpoint": MID, "slope": SLOPE},
        cost_dist="uniform", cost_params=COSTS, gamma_params={"value": GAMMA}, **hire, **extra,
    )


# --------------------------------------------------------------------------- naive baseline


class NaiveWorker(mesa.Agent):
    def __init__(self, model: "NaiveModel", cost: float, gamma: float) -> None:
        super().__init__(model)
        self.cost, self.gamma = cost, gamma
        self.member = False
        self.committed = False
        self.belief = 0.0

    def step(self) -> None:
        m = self.model
        self.belief = m.S
        want = (1.0 - self.gamma) * self.belief - self.cost > 0.0
        if self.member:
            if not want and not self.committed:
                self.member = False
                m.leaves += 1
        elif want:
            self.member = True
            m.joins += 1


class NaivePrincipal(mesa.Agent):
    def __init__(self, model: "NaiveModel", target: int, cap: int) -> None:
        super().__init__(model)
        self.target, self.cap = target, cap
        self.done = False
        self.spent = 0.0
        self.spend_round = 0.0

    def step(self) -> None:
        self.spend_round = 0.0
        if self.done:
            return
        m = self.model
        workers = m.workers
        n = len(workers)
        k = sum(1 for w in workers if w.member)
        if k >= self.target:
            self._finish()
            return
        s_now = sigmoid(k / n)
        cands = [w for w in workers if not w.member]
        cands.sort(key=lambda w: (w.cost - (1.0 - w.gamma) * s_now, w.cost / (1.0 - w.gamma)))
        need = min(self.target - k, self.cap, len(cands))
        for j, w in enumerate(cands[:need]):
            pay = max(0.0, w.cost - (1.0 - w.gamma) * sigmoid((k + j) / n))
            w.member = True
            w.committed = True
            self.spend_round += pay
        self.spent += self.spend_round
        if k + need >= self.target:
            self._finish()

    def _finish(self) -> None:
        self.done = True
        for w in self.model.workers:
            w.committed = False


class NaiveModel(mesa.Model):
    def __init__(self, costs: np.ndarray, target: int, cap: int, seed: int) -> None:
        super().__init__(seed=seed)
        self.workers = [NaiveWorker(self, float(c), GAMMA) for c in costs]
        self.principal = NaivePrincipal(self, target, cap)
        self.S = 0.0
        self.joins = self.leaves = 0
        self.alpha = 0.0
        self.datacollector = mesa.DataCollector(model_reporters={
            "alpha": lambda m: m.alpha,
            "members_end": lambda m: sum(1 for w in m.workers if w.member),
            "S": lambda m: m.S,
            "joins": lambda m: m.joins,
            "leaves": lambda m: m.leaves,
            "spend_total": lambda m: m.principal.spent,
            "belief_mean": lambda m: sum(w.belief for w in m.workers) / len(m.workers),
        })

    def step(self) -> None:
        n = len(self.workers)
        self.alpha = sum(1 for w in self.workers if w.member) / n  # the "firm" measures α, reads S
        self.S = sigmoid(self.alpha)
        self.joins = self.leaves = 0
        self._activate()
        self.principal.step()
        self.datacollector.collect(self)

    def _activate(self) -> None:
        self.agents_by_type[NaiveWorker].do("step")


class CarefulWorker(NaiveWorker):
    """The same rule; it keeps the model's member count instead of the model summing over agents."""

    def step(self) -> None:
        was = self.member
        super().step()
        self.model.members += int(self.member) - int(was)


class CarefulPrincipal(NaivePrincipal):
    """The same recruits, found as a careful Mesa user would: ``heapq.nsmallest`` over the
    non-members (no full sort every round) and the model's member count."""

    def step(self) -> None:
        self.spend_round = 0.0
        if self.done:
            return
        m = self.model
        n, k = len(m.workers), m.members
        if k >= self.target:
            self._finish()
            return
        s_now = sigmoid(k / n)
        need = min(self.target - k, self.cap, n - k)
        picks = heapq.nsmallest(need, (w for w in m.workers if not w.member),
                                key=lambda w: (w.cost - (1.0 - w.gamma) * s_now, w.cost / (1.0 - w.gamma)))
        for j, w in enumerate(picks):
            pay = max(0.0, w.cost - (1.0 - w.gamma) * sigmoid((k + j) / n))
            w.member = True
            w.committed = True
            self.spend_round += pay
        m.members += len(picks)
        self.spent += self.spend_round
        if k + need >= self.target:
            self._finish()


class CarefulModel(NaiveModel):
    """The naive model with counters instead of sums over agents (every worker's belief is S)."""

    def __init__(self, costs: np.ndarray, target: int, cap: int, seed: int) -> None:
        mesa.Model.__init__(self, seed=seed)
        self.workers = [CarefulWorker(self, float(c), GAMMA) for c in costs]
        self.principal = CarefulPrincipal(self, target, cap)
        self.S = 0.0
        self.joins = self.leaves = self.members = 0
        self.alpha = 0.0
        self.datacollector = mesa.DataCollector(model_reporters={
            "alpha": "alpha", "members_end": "members", "S": "S", "joins": "joins", "leaves": "leaves",
            "spend_total": lambda m: m.principal.spent, "belief_mean": "S",
        })

    def step(self) -> None:
        self.alpha = self.members / len(self.workers)
        self.S = sigmoid(self.alpha)
        self.joins = self.leaves = 0
        self.agents_by_type[CarefulWorker].do("step")
        self.principal.step()
        self.datacollector.collect(self)


class ShuffledModel(NaiveModel):
    """The naive model activating its workers in random order each round, Mesa's documented
    ``shuffle_do`` (the same trajectory: a worker's choice reads only S)."""

    def _activate(self) -> None:
        self.agents_by_type[NaiveWorker].shuffle_do("step")


# --------------------------------------------------------------------------- timing


def time_rounds(model: mesa.Model, rounds: int) -> list[float]:
    out = []
    gc.collect()
    for _ in range(rounds):
        t0 = time.perf_counter()
        model.step()
        out.append(time.perf_counter() - t0)
    return out


def bench(n: int, rounds: int, seed: int, baseline: bool, network: bool = False) -> dict:
    t0 = time.perf_counter()
    vec = vectorised_model(n, seed, network)
    vec_build = time.perf_counter() - t0
    vt = time_rounds(vec, rounds)
    df = vec.results()
    active = [t for t, s in zip(vt[1:], df["recruits"].iloc[1:]) if s > 0]
    row = {
        "scenario": "network" if network else "public",
        "n_workers": n,
        "rounds": rounds,
        "vectorised_build_s": vec_build,
        "vectorised_first_round_ms": 1e3 * vt[0],  # includes the one-off α_crit / B(α_crit) assessment
        "vectorised_round_ms": 1e3 * statistics.median(vt[1:]),
        "vectorised_recruiting_round_ms": 1e3 * statistics.median(active) if active else None,
        "vectorised_max_round_ms": 1e3 * max(vt[1:]),
        "principal_rounds": int((df["recruits"] > 0).sum()),
    }
    # The layout floor, in the same run: the same workers' round without a principal (every
    # worker's decision read and written once, the firm's S and the row), so a recruiting
    # round's excess over it is what the principal's recruitment costs.
    bare = vectorised_model(n, seed, network, principal=False)
    row["floor_round_ms"] = 1e3 * statistics.median(time_rounds(bare, rounds)[1:])
    if active:
        row["recruiting_over_floor"] = row["vectorised_recruiting_round_ms"] / row["floor_round_ms"]
    del bare
    if baseline:
        target = vec.principal.assessment.k_crit
        for name, cls in (("baseline", NaiveModel), ("careful", CarefulModel), ("shuffle_do", ShuffledModel)):
            t0 = time.perf_counter()
            naive = cls(vec.population.cost.copy(), target, max(1, n // 100), seed)
            row[f"{name}_build_s"] = time.perf_counter() - t0
            bt = time_rounds(naive, rounds)
            nd = naive.datacollector.get_model_vars_dataframe()
            row[f"{name}_first_round_ms"] = 1e3 * bt[0]
            row[f"{name}_round_ms"] = 1e3 * statistics.median(bt[1:])
            busy = [t for t, k in zip(bt[1:], df["recruits"].iloc[1:]) if k > 0]
            row[f"{name}_recruiting_round_ms"] = 1e3 * statistics.median(busy) if busy else None
            row[f"{name}_ratio" if name != "baseline" else "ratio"] = row[f"{name}_round_ms"] / row["vectorised_round_ms"]
            row[f"{name}_same_trajectory" if name != "baseline" else "same_trajectory"] = bool(
                np.array_equal(nd["members_end"].to_numpy(), df["members_end"].to_numpy())
                and np.allclose(nd["spend_total"].to_numpy(), df["spend_total"].to_numpy(), rtol=1e-9)
            )
            del naive
            gc.collect()
    del vec
    gc.collect()
    return row


def seeding(seeds: int = 5, n: int = 3000) -> dict:
    """Hubs vs random recruitment on a Barabási–Albert graph with network beliefs.

    Homogeneous workers (c = 0.2, γ = 0.5, S* = 0.4), the sigmoid S-curve (α_crit ≈ 0.093),
    BA graph with m = 3, each non-member believing the average of what its contacts
    report, a principal signing at most N/200 recruits per round. (1) Spend to reach
    α_crit (the principal's own target) and where the collective ends up after 80
    rounds. (2) The network's critical mass: the smallest principal target (swept) from
    which the collective grows to ≥ 95% of the workers, and what reaching it costs.
    (3) The principal with ``principal_stop="sustained"``, which finds that size itself
    (200 rounds): the size at which it stopped, its spend and the final α.
    """
    def model(policy: str, seed: int, **kw) -> CollectiveActionModel:
        return CollectiveActionModel(
            n_workers=n, seed=seed, firm_params={"curve": "sigmoid", "midpoint": MID, "slope": SLOPE},
            belief="network", network="barabasi_albert", network_params={"m": 3},
            principal=policy, recruits_per_round=n // 200, **kw,
        )

    def run(policy: str, seed: int, target: float | None) -> tuple[float, float, float]:
        df = model(policy, seed, principal_target_alpha=target).run(80)
        return float(df["spend_total"].iloc[-1]), float(df["alpha_end"].iloc[-1]), float(df["B_crit_total"].iloc[0])

    out: dict = {"n_workers": n, "seeds": seeds, "to_alpha_crit": {}, "network_critical_mass": {}, "sustained_stop": {}}
    for policy in ("hubs", "random", "cheapest"):
        rows = []
        for s in range(seeds):
            df = model(policy, s, principal_stop="sustained").run(200)
            stop = df.index[df["principal_status"] == "sustained"]
            rows.append({
                "seed": s, "stopped": bool(len(stop)),
                "alpha_at_stop": float(df.loc[stop[0], "alpha_end"]) if len(stop) else None,
                "spend": float(df["spend_total"].iloc[-1]), "final_alpha": float(df["alpha_end"].iloc[-1]),
            })
        out["sustained_stop"][policy] = rows
    targets = [None, 0.11, 0.13, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5]
    for policy in ("hubs", "random", "cheapest"):
        res = [run(policy, s, None) for s in range(seeds)]
        out["to_alpha_crit"][policy] = {
            "spend_mean": statistics.mean(r[0] for r in res),
            "spend_min": min(r[0] for r in res), "spend_max": max(r[0] for r in res),
            "final_alpha": [r[1] for r in res], "N_B_crit": res[0][2],
        }
        if policy == "cheapest":
            continue
        per_seed = []
        for s in range(seeds):
            for t in targets:
                spend, final, _ = run(policy, s, t)
                if final >= 0.95:
                    per_seed.append({"seed": s, "reached": True, "target_alpha": t if t is not None else "alpha_crit", "spend": spend})
                    break
            else:
                per_seed.append({"seed": s, "reached": False, "target_alpha": None, "spend": None})
        out["network_critical_mass"][policy] = per_seed
    return out


def machine() -> str:
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), cpu)
    except OSError:
        pass
    return f"{platform.machine()} {cpu}, {os.cpu_count()} CPU cores, {platform.system()}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,10000,100000,1000000")
    ap.add_argument("--rounds", type=int, default=12)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--baseline-max", type=int, default=1_000_000, help="largest N at which to run the naive baseline")
    ap.add_argument("--network", default="100000", help="sizes for the network-belief scenario (BA graph, vectorised only; '' for none)")
    ap.add_argument("--seeding", action="store_true", help="also measure hubs vs random seeding on a BA graph")
    ap.add_argument("--seeding-only", action="store_true", help="only the seeding study (no timings)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = ap.parse_args()

    if args.seeding_only:
        args.seeding, args.sizes, args.network = True, "", ""
    rows = []
    nan = float("nan")
    print(f"{'scenario':>8} {'N':>9} {'vec round ms':>13} {'vec recruit ms':>15} {'vec 1st ms':>11} "
          f"{'naive round ms':>15} {'naive recruit ms':>17} {'ratio':>7} {'same':>5} {'build vec/naive s':>18} "
          f"{'careful ms':>11} {'ratio':>6} {'same':>5} {'shuffle_do ms':>14} {'same':>5} {'floor ms':>9} {'recruit/floor':>13}")
    jobs = [(int(x), False) for x in args.sizes.split(",") if x]
    if args.network:
        jobs += [(int(x), True) for x in args.network.split(",")]
    for n, net in jobs:
        r = bench(n, args.rounds, args.seed, n <= args.baseline_max and not net, net)
        rows.append(r)
        print(
            f"{r['scenario']:>8} {n:>9} {r['vectorised_round_ms']:>13.3f} {r['vectorised_recruiting_round_ms'] or nan:>15.3f} "
            f"{r['vectorised_first_round_ms']:>11.1f} {r.get('baseline_round_ms', nan):>15.1f} "
            f"{r.get('baseline_recruiting_round_ms') or nan:>17.1f} {r.get('ratio', nan):>7.0f} "
            f"{str(r.get('same_trajectory', '-')):>5} "
            f"{r['vectorised_build_s']:>8.2f}/{r.get('baseline_build_s', nan):<8.2f} "
            f"{r.get('careful_round_ms', nan):>11.1f} {r.get('careful_ratio', nan):>6.0f} {str(r.get('careful_same_trajectory', '-')):>5} "
            f"{r.get('shuffle_do_round_ms', nan):>14.1f} {str(r.get('shuffle_do_same_trajectory', '-')):>5} "
            f"{r['floor_round_ms']:>9.3f} {r.get('recruiting_over_floor', nan):>13.2f}",
            flush=True,
        )
    meta = {
        "command": "python " + " ".join([os.path.relpath(__file__, ROOT)] + sys.argv[1:]),
        "machine": machine(),
        "python": platform.python_version(), "numpy": np.__version__, "mesa": mesa.__version__,
        "unix_time": time.time(),
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if rows:
        tmp = out / "agents_round.json.tmp"
        tmp.write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
        tmp.replace(out / "agents_round.json")
    if args.seeding:
        res = seeding()
        print(json.dumps(res, indent=1))
        tmp = out / "network_seeding.json.tmp"
        tmp.write_text(json.dumps({"meta": meta, **res}, indent=2))
        tmp.replace(out / "network_seeding.json")


if __name__ == "__main__":
    main()
