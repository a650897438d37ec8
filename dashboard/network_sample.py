"""The network chart's sample: ≤ 300 workers and the contacts among them, laid out once per model."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np

if TYPE_CHECKING:
    from acsim.abm.model import CollectiveActionModel


@dataclass(frozen=True)
class NetworkSample:
    """≤ ``max_nodes`` workers (indices), their positions, and the contacts among them."""

    nodes: np.ndarray
    pos: np.ndarray  # (k, 2)
    segments: np.ndarray  # (e, 2, 2) line segments of the induced subgraph
    edges: int
    total_nodes: int
    has_network: bool


def sample_network(model: "CollectiveActionModel", max_nodes: int = 300, seed: int = 0) -> NetworkSample:
    """A connected-looking sample: a breadth-first walk that follows ≤ 4 random contacts per worker.

    Uses its own generator (never ``model.rng``), so drawing the page does not change
    the model's random stream: the dashboard's rounds equal ``acsim run``'s.
    """
    rng = np.random.default_rng(seed)
    n = model.population.n
    adj = model.adjacency
    if adj is None:
        k = min(n, max_nodes)
        nodes = np.sort(rng.choice(n, size=k, replace=False))
        side = int(math.ceil(math.sqrt(k)))
        pos = np.c_[np.arange(k) % side, -(np.arange(k) // side)].astype(float)
        return NetworkSample(nodes, pos, np.zeros((0, 2, 2)), 0, n, False)
    indptr, indices = adj.indptr, adj.indices
    chosen: list[int] = []
    seen: set[int] = set()
    while len(chosen) < min(n, max_nodes):
        start = int(rng.integers(n))
        if start in seen:
            continue
        queue = [start]
        seen.add(start)
        while queue and len(chosen) < max_nodes:
            v = queue.pop(0)
            chosen.append(v)
            nb = indices[indptr[v]:indptr[v + 1]]
            if nb.size > 4:
                nb = rng.choice(nb, size=4, replace=False)
            for u in nb.tolist():
                if u not in seen:
                    seen.add(u)
                    queue.append(u)
    nodes = np.array(sorted(chosen), dtype=np.int64)
    sub = adj[nodes][:, nodes].tocoo()
    keep = sub.row < sub.col
    rows, cols = sub.row[keep], sub.col[keep]
    g = nx.Graph()
    g.add_nodes_from(range(nodes.size))
    g.add_edges_from(zip(rows.tolist(), cols.tolist()))
    layout = nx.spring_layout(g, seed=int(rng.integers(2**31 - 1)), iterations=40)
    pos = np.array([layout[i] for i in range(nodes.size)])
    segments = np.stack([pos[rows], pos[cols]], axis=1) if rows.size else np.zeros((0, 2, 2))
    return NetworkSample(nodes, pos, segments, int(rows.size), n, True)
