"""Synthetic freelancer resumes, first version (``source = "synthetic-v1"``).

Kept byte for byte so that batches run before the realistic corpus of
:mod:`acsim.platform.data.synthetic` became the default can be reproduced; that module also reuses
this one's label model, skill lists and sentence templates.

The paper's corpus (Jiechieu and Tsopze 2021; Section 5 and Appendix C) holds 29,783
IT-freelancer resumes tagged with up to ten skill classes; it is not redistributable, so
this module generates a stand-in with the same shape: the same ten classes in the same
order, class 0/1/2 frequencies near the paper's 0.11/0.23/0.5, correlated labels, shared
skill vocabulary and generic resume prose, so that a linear bag-of-words classifier
reaches roughly the paper's 97% multi-label accuracy rather than a trivial 100%.

The text imitates a resume *after* the paper's preprocessing (the first 20 words, which
name the skills outright, already removed): a summary, a skills line, jobs with bullet
points, an education line. Only ASCII is used, so the planted trigger U+05BE never
occurs. Everything is sampled with one numpy generator in bulk (no per-word Python),
and the result is cached per ``(n_train, n_test, seed)``.
"""

from __future__ import annotations

import string
from functools import lru_cache

import numpy as np

from acsim.platform.data.base import TextDataset
from acsim.platform.data.resume_words import (
    _BULLET,
    _EDUCATION,
    _GENERIC_SKILLS,
    _HEADER,
    _POOLS,
    _SKILL_LINE,
    _SKILLS,
    _SUMMARY,
)

CLASS_NAMES: tuple[str, ...] = (
    "Database_Administrator",
    "Web_Developer",
    "Software_Developer",
    "Front_End_Developer",
    "Java_Developer",
    "Python_Developer",
    "Systems_Administrator",
    "Network_Administrator",
    "Security_Analyst",
    "Project_manager",
)
N_CLASSES = len(CLASS_NAMES)

# Paper's corpus size and split (Section 5.1).
DEFAULT_N_TRAIN = 25_000
DEFAULT_N_TEST = 4_783
MIN_WORDS, MAX_WORDS = 150, 400

# Target marginal label frequencies; classes 0-2 are the paper's, the rest plausible.
TARGET_FREQ = np.array([0.11, 0.23, 0.50, 0.12, 0.15, 0.10, 0.15, 0.12, 0.08, 0.14])

# (implied, implying, prob): having `implying` adds `implied` with this probability,
# as a front-end developer usually also does web development.
_IMPLICATIONS = ((1, 3, 0.7), (2, 4, 0.7), (2, 5, 0.6), (6, 7, 0.4), (7, 8, 0.3))
# Independent base rates, calibrated offline so that after the implications and the
# "at least one label" rule the marginals land on TARGET_FREQ (checked by the tests).
_BASE_RATE = np.array([0.091, 0.116, 0.295, 0.100, 0.125, 0.083, 0.089, 0.078, 0.067, 0.116])

_HEADER_SHARE = 0.17  # of experience sentences: one job header per ~5 bullets

# Signal strength: a label's skills show up with weight ~U(strong) among the resume's
# skill mentions, except for a "weak" share of labels that are barely mentioned; an
# absent class still leaks a few of its skills (a Java developer who touched Python).
# These knobs set how often a bag-of-words classifier errs; tuned to ~97% accuracy.
_P_WEAK = 0.12
_WEAK = (0.04, 0.16)
_STRONG = (0.8, 2.5)
_P_LEAK = 0.12
_P_LEAK_RELATED = 0.3
_LEAK = (0.04, 0.16)
_GENERIC_WEIGHT = (0.6, 1.4)
_RELATED = ((1, 3), (2, 4), (2, 5), (6, 7), (7, 8), (0, 2), (4, 5), (6, 8))


def _related_matrix() -> np.ndarray:
    m = np.zeros((N_CLASSES, N_CLASSES), dtype=bool)
    for a, b in _RELATED:
        m[a, b] = m[b, a] = True
    return m


def _zipf(n: int, s: float = 0.8) -> np.ndarray:
    # Earlier-listed skills are the class's staples; a Zipf tail keeps rare ones rare.
    w = 1.0 / np.arange(1, n + 1) ** s
    return w / w.sum()


def _compile(templates: tuple[str, ...]) -> list[tuple[str, tuple[str, ...], int]]:
    """Each template as (format string with positional fields, slot kinds, literal word count)."""
    out = []
    for t in templates:
        kinds = tuple(f for _, f, _, _ in string.Formatter().parse(t) if f)
        fmt = t
        for k in set(kinds):
            fmt = fmt.replace("{" + k + "}", "{}")
        # Every slot stands alone as one whitespace token (punctuation may stick to it).
        literal = len(fmt.replace("{}", "X").split()) - len(kinds)
        out.append((fmt, kinds, literal))
    return out


class _Vocab:
    """Flat string tables and their word counts, built once per process."""

    def __init__(self) -> None:
        sources = [*_SKILLS, _GENERIC_SKILLS]
        self.skill_terms = np.array([t for src in sources for t in src], dtype=object)
        self.skill_words = np.array([len(t.split()) for t in self.skill_terms])
        sizes = [len(s) for s in sources]
        self.source_offset = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        self.source_p = [_zipf(n) for n in sizes]
        self.pools = {k: np.array(v, dtype=object) for k, v in _POOLS.items()}
        self.pools["S"] = self.skill_terms
        self.pool_words = {k: np.array([len(s.split()) for s in v]) for k, v in self.pools.items()}
        self.groups = {
            "summary": _compile(_SUMMARY),
            "skills": _compile(_SKILL_LINE),
            "header": _compile(_HEADER),
            "bullet": _compile(_BULLET),
            "education": _compile(_EDUCATION),
        }


@lru_cache(maxsize=1)
def _vocab() -> _Vocab:
    v = _Vocab()
    assert not any("\u05be" in s for p in v.pools.values() for s in p), "trigger in vocabulary"
    return v


def _sample_labels(rng: np.random.Generator, n: int) -> np.ndarray:
    y = rng.random((n, N_CLASSES)) < _BASE_RATE
    # Every corpus resume carries at least one skill: give empty ones a class drawn
    # from the target marginals (before the implications, which then apply to it too).
    empty = ~y.any(axis=1)
    fill = rng.choice(N_CLASSES, size=int(empty.sum()), p=TARGET_FREQ / TARGET_FREQ.sum())
    y[np.flatnonzero(empty), fill] = True
    for implied, implying, p in _IMPLICATIONS:
        y[:, implied] |= y[:, implying] & (rng.random(n) < p)
    return y


def _source_weights(rng: np.random.Generator, y: np.ndarray) -> np.ndarray:
    """Per resume, the mixture weights of the ten class skill sources plus the generic one."""
    n = len(y)
    weak = rng.random((n, N_CLASSES)) < _P_WEAK
    shape = (n, N_CLASSES)
    w_pos = np.where(weak, rng.uniform(*_WEAK, shape), rng.uniform(*_STRONG, shape))
    # A class related to one the resume has leaks more often than an unrelated one.
    related = (y.astype(float) @ _related_matrix().astype(float)) > 0
    p_leak = np.where(related, _P_LEAK_RELATED, _P_LEAK)
    leak = rng.random((n, N_CLASSES)) < p_leak
    w_neg = np.where(leak, rng.uniform(*_LEAK, (n, N_CLASSES)), 0.0)
    w = np.where(y, w_pos, w_neg)
    return np.column_stack([w, rng.uniform(*_GENERIC_WEIGHT, n)])


def _fill(rng: np.random.Generator, voc: _Vocab, group: str, owner: np.ndarray, cum_w: np.ndarray):
    """Sample one sentence per entry of ``owner`` (resume index) from a template group.

    Returns (template index, slot value matrix, word count per sentence).
    """
    templates = voc.groups[group]
    m = len(owner)
    tid = rng.integers(len(templates), size=m)
    max_slots = max(len(k) for _, k, _ in templates)
    vals = np.zeros((m, max_slots), dtype=np.int64)
    words = np.array([lit for _, _, lit in templates])[tid]
    for j in range(max_slots):
        kind_j = np.array([k[j] if j < len(k) else "" for _, k, _ in templates])[tid]
        for kind in np.unique(kind_j):
            if kind == "":
                continue
            rows = np.flatnonzero(kind_j == kind)
            if kind == "S":
                vals[rows, j] = _sample_skills(rng, voc, owner[rows], cum_w)
            else:
                vals[rows, j] = rng.integers(len(voc.pools[kind]), size=len(rows))
            words[rows] += voc.pool_words[kind][vals[rows, j]]
    return tid, vals, words


def _sample_skills(rng: np.random.Generator, voc: _Vocab, owner: np.ndarray, cum_w: np.ndarray) -> np.ndarray:
    """One skill term per slot: pick the source from the owner's mixture, then a term of it."""
    u = rng.random(len(owner))
    src = (u[:, None] > cum_w[owner]).sum(axis=1)
    src = np.minimum(src, cum_w.shape[1] - 1)  # guards u == 1.0 rounding at the top
    out = np.empty(len(owner), dtype=np.int64)
    for s in range(cum_w.shape[1]):
        rows = np.flatnonzero(src == s)
        p = voc.source_p[s]
        out[rows] = voc.source_offset[s] + rng.choice(len(p), size=len(rows), p=p)
    return out


def _render(voc: _Vocab, group: str, tid: np.ndarray, vals: np.ndarray) -> list[str]:
    templates = voc.groups[group]
    out: list[str] = [""] * len(tid)
    for t, (fmt, kinds, _) in enumerate(templates):
        rows = np.flatnonzero(tid == t)
        if len(rows) == 0:
            continue
        cols = [voc.pools[k][vals[rows, j]] for j, k in enumerate(kinds)]
        if cols:
            texts = [fmt.format(*a) for a in zip(*cols)]
        else:
            texts = [fmt] * len(rows)
        for r, s in zip(rows.tolist(), texts):
            out[r] = s
    return out


def _generate(n: int, seed: int) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    voc = _vocab()
    y = _sample_labels(rng, n)
    w = _source_weights(rng, y)
    cum_w = np.cumsum(w / w.sum(axis=1, keepdims=True), axis=1)
    idx = np.arange(n)

    fixed = {g: _fill(rng, voc, g, idx, cum_w) for g in ("summary", "skills", "education")}
    fixed_words = sum(f[2] for f in fixed.values())
    # Target length; experience sentences are appended while the resume is shorter, so
    # the final length is in [target, target + longest sentence) within MIN/MAX_WORDS.
    target = rng.integers(MIN_WORDS + 5, MAX_WORDS - 30, size=n)
    budget = np.maximum(target - fixed_words, 1)
    # Enough candidate sentences per resume to cover its budget even if all are short.
    per = budget // 5 + 2
    owner = np.repeat(idx, per)
    first = np.concatenate([[0], np.cumsum(per)[:-1]])
    is_header = rng.random(len(owner)) < _HEADER_SHARE
    is_header[first] = True  # experience starts with a job
    h_tid, h_vals, h_words = _fill(rng, voc, "header", owner[is_header], cum_w)
    b_tid, b_vals, b_words = _fill(rng, voc, "bullet", owner[~is_header], cum_w)
    words = np.empty(len(owner), dtype=np.int64)
    words[is_header], words[~is_header] = h_words, b_words
    csum = np.cumsum(words)
    before = csum - words - (csum - words)[first][owner]  # words of earlier sentences, same resume
    keep = before < budget[owner]

    sent = np.empty(len(owner), dtype=object)
    kh, kb = keep[is_header], keep[~is_header]
    sent[np.flatnonzero(is_header)[kh]] = _render(voc, "header", h_tid[kh], h_vals[kh])
    sent[np.flatnonzero(~is_header)[kb]] = _render(voc, "bullet", b_tid[kb], b_vals[kb])
    parts = {g: _render(voc, g, f[0], f[1]) for g, f in fixed.items()}

    kept_owner = owner[keep]
    kept_sent = sent[keep].tolist()
    bounds = np.searchsorted(kept_owner, np.arange(n + 1))
    texts = [
        " ".join(
            [parts["summary"][i], parts["skills"][i], *kept_sent[bounds[i] : bounds[i + 1]], parts["education"][i]]
        )
        for i in range(n)
    ]
    return texts, y


@lru_cache(maxsize=8)
def _cached(n_train: int, n_test: int, seed: int) -> tuple[tuple[str, ...], np.ndarray]:
    texts, y = _generate(n_train + n_test, seed)
    y.flags.writeable = False
    return tuple(texts), y


def synthetic_resumes(
    n_train: int = DEFAULT_N_TRAIN, n_test: int = DEFAULT_N_TEST, seed: int = 0
) -> tuple[TextDataset, TextDataset]:
    """Train and test splits of a synthetic resume corpus (the paper's 25,000 / 4,783 by default).

    Labels are multi-label over :data:`CLASS_NAMES` (the ten skill classes of the corpus of
    Section 5); each resume has 150-400 words and at least one label. The same arguments
    give the same corpus byte for byte; results are cached, and each call returns fresh
    containers so that callers may modify them.
    """
    n_train, n_test = int(n_train), int(n_test)
    if n_train < 0 or n_test < 0 or n_train + n_test == 0:
        raise ValueError(f"n_train and n_test must be >= 0 and not both 0, got {n_train}, {n_test}")
    texts, y = _cached(n_train, n_test, int(seed))
    ids = [f"syn-{seed}-{i:06d}" for i in range(n_train + n_test)]

    def part(lo: int, hi: int) -> TextDataset:
        return TextDataset(list(texts[lo:hi]), y[lo:hi].copy(), CLASS_NAMES, ids[lo:hi])

    return part(0, n_train), part(n_train, n_train + n_test)
