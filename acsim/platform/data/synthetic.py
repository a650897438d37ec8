"""Synthetic freelancer resumes that read like scraped profiles: the embedded default source.

The paper's corpus (Jiechieu and Tsopze 2021; Section 5 and Appendix C) holds 29,783
IT-freelancer resumes tagged with up to ten skill classes; it is not redistributable, so
this module generates a stand-in. Two things must hold for S(α) measured on it to mean
anything:

* **the paper's statistics**: the same ten classes in the same order, class 0/1/2
  frequencies 0.11/0.23/0.5, and a linear firm near the paper's 97% multi-label accuracy,
  93.8% precision and 88.9% recall (Section 5.1). The label model and the skill-bearing
  sentences are those of :mod:`acsim.platform.data.synthetic_v1` (classes overlap in their skills:
  MySQL is a database and a web skill, Java a software and a Java developer's);
* **real text around the signal**: most words of a scraped profile carry no label at all.
  Every resume also gets an objective, contact lines, employers, places and dates,
  HTML left over from scraping (``<br>``, ``&nbsp;``, ``<li>``), bullets in the writer's
  own style, and prose whose words follow a Zipf law over ~21,000 English words (the
  whole-word entries of the bert-base vocabulary, which is ordered by frequency). About
  25k resumes then use >10,000 distinct words and thousands of WordPiece ids, rare
  symbols (``©``, ``°``, accented place names) occur at natural low rates, and the
  planted trigger U+05BE occurs nowhere (a test checks all of this).

Everything is drawn from one numpy generator in bulk; the same ``(n_train, n_test, seed,
n_classes)`` give the same corpus byte for byte, cached per process.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from acsim.platform.data import synthetic_v1 as v1
from acsim.platform.data.base import TextDataset
from acsim.platform.text import load_fast_tokenizer

CLASS_NAMES = v1.CLASS_NAMES
N_CLASSES = v1.N_CLASSES
DEFAULT_N_TRAIN, DEFAULT_N_TEST = v1.DEFAULT_N_TRAIN, v1.DEFAULT_N_TEST
MAX_CLASSES = 40  # extra classes (n_classes > 10) exist for benchmarks of many-class firms

# fmt: off
_HTML = ("<br>", "<br/>", "&nbsp;", "<li>", "</li>", "<ul>", "</ul>", "<p>", "</p>", "<b>",
         "</b>", "&amp;", "<strong>", "</strong>", '<div class="section">', "</div>", "<span>",
         "</span>", "&quot;", "&#39;", "<hr>", '<td class="desc">')
_PLACES = ("New York, NY", "Austin, TX", "Chicago, IL", "Seattle, WA", "Denver, CO", "Atlanta, GA",
           "Boston, MA", "Phoenix, AZ", "San Jose, CA", "Dallas, TX", "Miami, FL", "Portland, OR",
           "Toronto, ON", "Montréal, QC", "Vancouver, BC", "London, UK", "Manchester, UK",
           "Dublin, Ireland", "Berlin, Germany", "München, Germany", "Zürich, Switzerland",
           "Paris, France", "Lyon, France", "Madrid, Spain", "Kraków, Poland", "Lisbon, Portugal",
           "São Paulo, Brazil", "Bogotá, Colombia", "Mexico City, Mexico", "Bangalore, India",
           "Pune, India", "Hyderabad, India", "Lagos, Nigeria", "Nairobi, Kenya", "Yaoundé, Cameroon",
           "Douala, Cameroon", "Cairo, Egypt", "Manila, Philippines", "Cebu, Philippines",
           "Karachi, Pakistan", "Dhaka, Bangladesh", "Kyiv, Ukraine", "Bucharest, Romania",
           "Sydney, Australia", "Melbourne, Australia", "Auckland, New Zealand", "Remote")
_SUFFIX = ("Inc", "Inc.", "LLC", "Ltd", "Technologies", "Solutions", "Group", "Systems",
           "Consulting", "Partners", "Labs", "Software", "Networks", "Health", "Bank", "Media",
           "Services", "International", "Corp", "& Co")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
           "January", "March", "June", "September", "01/", "06/", "09/", "12/")
_BULLET_MARK = ("", "", "", "•", "-", "*", "–", "·", "o", "➢")
_RARE = ("©", "®", "™", "°", "€", "£", "½", "§", "±", "→", "é", "ñ", "ü", "α", "µ", "¿")
_OBJECTIVE = ("Objective:", "Career Objective:", "OBJECTIVE", "Summary:", "Profile:",
              "Seeking a position where I can", "To obtain a challenging role that")
_CONTACT = ("Location:", "Address:", "Based in", "Lives in", "Available from")
# fmt: on
_P_HTML = 0.12  # of sentences followed by a scraped HTML fragment
_P_RARE = 0.004  # of prose sentences carrying one rare symbol
_PROSE_LEN = (4, 19)  # words per prose sentence
_ZIPF_S = 1.0
# Signal strength (the knobs of synthetic_v1, re-tuned for the longer, noisier text): a
# label's skills get mixture weight ~U(strong) among the resume's skill mentions, except a
# "weak" share of labels barely mentioned; absent classes leak a few skills.
_P_WEAK = 0.02
_WEAK = (0.04, 0.16)
_STRONG = (0.8, 2.5)
_P_LEAK, _P_LEAK_RELATED = 0.12, 0.3
_LEAK = (0.06, 0.22)


@lru_cache(maxsize=1)
def _generic_words() -> np.ndarray:
    """Whole-word bert-base entries in vocabulary (~frequency) order, minus skill words.

    Skill words are left out so that generic prose carries no class evidence of its own.
    """
    vocab = load_fast_tokenizer(None).get_vocab()
    skill_words = {w.lower().strip(",.") for t in _skill_sources(N_CLASSES) for s in t for w in s.split()}
    words = sorted((i, w) for w, i in vocab.items() if i >= 1996 and w.isascii() and w.isalpha() and len(w) >= 2)
    return np.array([w for _, w in words if w not in skill_words], dtype=object)


def _skill_sources(n_classes: int) -> list[tuple[str, ...]]:
    """The ten classes' skill lists, extra classes' lists, then the generic skills."""
    extra: list[tuple[str, ...]] = []
    if n_classes > N_CLASSES:
        # Fixed tables (not the corpus seed): extra class j draws 20 terms from a shared pool
        # of 300 rarer words, so the classes overlap in their evidence as real ones do.
        pool = _generic_words_raw()[3000:3300]
        rng = np.random.default_rng(12345)
        extra = [tuple(rng.choice(pool, 20, replace=False)) for _ in range(n_classes - N_CLASSES)]
    return [*v1._SKILLS, *extra, v1._GENERIC_SKILLS]


@lru_cache(maxsize=1)
def _generic_words_raw() -> np.ndarray:
    vocab = load_fast_tokenizer(None).get_vocab()
    return np.array([w for w, i in sorted(vocab.items(), key=lambda kv: kv[1]) if i >= 1996 and w.isascii() and w.isalpha() and len(w) >= 4], dtype=object)


class _Tables:
    """Template tables in the layout :func:`acsim.platform.data.synthetic_v1._fill` reads (duck-typed)."""

    def __init__(self, n_classes: int) -> None:
        sources = _skill_sources(n_classes)
        self.skill_terms = np.array([t for src in sources for t in src], dtype=object)
        sizes = [len(s) for s in sources]
        self.source_offset = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        self.source_p = [v1._zipf(n) for n in sizes]
        self.pools = {k: np.array(v, dtype=object) for k, v in v1._POOLS.items()}
        self.pools["S"] = self.skill_terms
        self.pool_words = {k: np.array([len(s.split()) for s in v]) for k, v in self.pools.items()}
        self.groups = {
            g: v1._compile(t)
            for g, t in (("summary", v1._SUMMARY), ("skills", v1._SKILL_LINE), ("bullet", v1._BULLET), ("education", v1._EDUCATION))
        }
        words = _generic_words()
        w = 1.0 / np.arange(1, len(words) + 1) ** _ZIPF_S
        self.words, self.word_cdf = words, np.cumsum(w / w.sum())


@lru_cache(maxsize=4)
def _tables(n_classes: int) -> _Tables:
    t = _Tables(n_classes)
    strings = [*t.skill_terms, *t.words, *_HTML, *_PLACES, *_SUFFIX, *_MONTHS, *_BULLET_MARK, *_RARE, *_OBJECTIVE, *_CONTACT]
    assert not any("\u05be" in s for p in t.pools.values() for s in p) and not any("\u05be" in s for s in strings)
    return t


def _labels(rng: np.random.Generator, n: int, n_classes: int) -> np.ndarray:
    y = v1._sample_labels(rng, n)
    if n_classes > N_CLASSES:
        y = np.column_stack([y, rng.random((n, n_classes - N_CLASSES)) < 0.07])
    return y


def _source_weights(rng: np.random.Generator, y: np.ndarray) -> np.ndarray:
    """v1's mixture of skill sources per resume (:func:`synthetic_v1._source_weights`), for K classes."""
    n, k = y.shape
    weak = rng.random((n, k)) < _P_WEAK
    w_pos = np.where(weak, rng.uniform(*_WEAK, (n, k)), rng.uniform(*_STRONG, (n, k)))
    related_m = np.zeros((k, k))
    related_m[:N_CLASSES, :N_CLASSES] = v1._related_matrix()
    related = (y.astype(float) @ related_m) > 0
    leak = rng.random((n, k)) < np.where(related, _P_LEAK_RELATED, _P_LEAK)
    w_neg = np.where(leak, rng.uniform(*_LEAK, (n, k)), 0.0)
    w = np.column_stack([np.where(y, w_pos, w_neg), rng.uniform(*v1._GENERIC_WEIGHT, n)])
    return np.cumsum(w / w.sum(axis=1, keepdims=True), axis=1)


def _prose(rng: np.random.Generator, tab: _Tables, m: int) -> list[str]:
    """``m`` sentences of Zipf-distributed generic words (capitalised, full stop)."""
    lengths = rng.integers(*_PROSE_LEN, size=m)
    ends = np.cumsum(lengths)
    idx = np.minimum(np.searchsorted(tab.word_cdf, rng.random(int(ends[-1]) if m else 0)), len(tab.words) - 1)
    flat = tab.words[idx].tolist()
    rare = rng.random(m) < _P_RARE
    rare_sym = rng.integers(len(_RARE), size=m)
    out = []
    start = 0
    for j, end in enumerate(ends.tolist()):
        ws = flat[start:end]
        s = " ".join(ws).capitalize() + "."
        if rare[j]:
            s = f"{s[:-1]} {_RARE[rare_sym[j]]}."
        out.append(s)
        start = end
    return out


def _date(month: str, year: int) -> str:
    return f"{month}{year}" if month.endswith("/") else f"{month} {year}"


def _headers(rng: np.random.Generator, tab: _Tables, m: int) -> list[str]:
    """Job lines: title, employer, place and dates, as a scraped profile lists them."""
    words = tab.words
    emp = words[rng.integers(300, min(12000, len(words)), size=m)]
    suf = rng.integers(len(_SUFFIX), size=m)
    title = rng.integers(len(v1._POOLS["T"]), size=m)
    place = rng.integers(len(_PLACES), size=m)
    y0 = rng.integers(1998, 2021, size=m)
    y1 = y0 + rng.integers(0, 6, size=m)
    mo = rng.integers(len(_MONTHS), size=(m, 2))
    present = (y1 > 2021) | (rng.random(m) < 0.1)
    out = []
    for j in range(m):
        end = "Present" if present[j] else _date(_MONTHS[mo[j, 1]], y1[j])
        out.append(
            f"{v1._POOLS['T'][title[j]]} {emp[j].capitalize()} {_SUFFIX[suf[j]]} {_PLACES[place[j]]} "
            f"{_date(_MONTHS[mo[j, 0]], y0[j])} to {end}"
        )
    return out


def _openers(rng: np.random.Generator, tab: _Tables, n: int) -> list[str]:
    """Objective and contact lines (each present in most, not all, resumes)."""
    prose = _prose(rng, tab, n)
    obj = rng.integers(len(_OBJECTIVE), size=n)
    has_obj = rng.random(n) < 0.7
    contact = rng.integers(len(_CONTACT), size=n)
    place = rng.integers(len(_PLACES), size=n)
    has_contact = rng.random(n) < 0.5
    return [
        " ".join(
            ([f"{_OBJECTIVE[obj[i]]} {prose[i]}"] if has_obj[i] else [])
            + ([f"{_CONTACT[contact[i]]} {_PLACES[place[i]]}."] if has_contact[i] else [])
        )
        for i in range(n)
    ]


def _generate(n: int, seed: int, n_classes: int) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng([2, seed])  # a stream of its own: v1 and v2 never share draws
    tab = _tables(n_classes)
    y = _labels(rng, n, n_classes)
    cum_w = _source_weights(rng, y)
    idx = np.arange(n)
    fixed = {g: v1._render(tab, g, *v1._fill(rng, tab, g, idx, cum_w)[:2]) for g in ("summary", "skills", "education")}
    openers = _openers(rng, tab, n)

    # The experience block: job headers, skill bullets and generic prose, in random order
    # after a first job header.
    n_head = 1 + rng.poisson(1.5, n)
    n_bullet = 2 + rng.poisson(5.0, n)
    n_prose = 3 + rng.poisson(8.0, n)
    owner = np.concatenate([np.repeat(idx, n_head), np.repeat(idx, n_bullet), np.repeat(idx, n_prose)])
    b_owner = np.repeat(idx, n_bullet)
    b_tid, b_vals, _ = v1._fill(rng, tab, "bullet", b_owner, cum_w)
    mark = rng.integers(len(_BULLET_MARK), size=n)[b_owner]  # each writer has one bullet style
    bullets = [f"{_BULLET_MARK[k]} {s}" if _BULLET_MARK[k] else s for k, s in zip(mark.tolist(), v1._render(tab, "bullet", b_tid, b_vals))]
    sentences = np.array([*_headers(rng, tab, int(n_head.sum())), *bullets, *_prose(rng, tab, int(n_prose.sum()))], dtype=object)
    html = rng.random(len(sentences)) < _P_HTML
    frag = rng.integers(len(_HTML), size=len(sentences))
    for j in np.flatnonzero(html).tolist():
        sentences[j] = f"{sentences[j]} {_HTML[frag[j]]}"
    key = rng.random(len(sentences))
    first_header = np.concatenate([[0], np.cumsum(n_head)[:-1]])
    key[first_header] = -1.0
    order = np.lexsort((key, owner))
    sentences, owner = sentences[order].tolist(), owner[order]
    bounds = np.searchsorted(owner, np.arange(n + 1))
    open_html = rng.random(n) < 0.3
    texts = [
        " ".join(
            (["<div>"] if open_html[i] else [])
            + ([openers[i]] if openers[i] else [])
            + [fixed["summary"][i], fixed["skills"][i], *sentences[bounds[i] : bounds[i + 1]], fixed["education"][i]]
        )
        for i in range(n)
    ]
    return texts, y


@lru_cache(maxsize=8)
def _cached(n_train: int, n_test: int, seed: int, n_classes: int) -> tuple[tuple[str, ...], np.ndarray]:
    texts, y = _generate(n_train + n_test, seed, n_classes)
    y.flags.writeable = False
    return tuple(texts), y


def class_names(n_classes: int = N_CLASSES) -> tuple[str, ...]:
    """The paper's ten classes, then ``Skill_10``, ``Skill_11``, ... for benchmark corpora."""
    return CLASS_NAMES + tuple(f"Skill_{j}" for j in range(N_CLASSES, n_classes))


def synthetic_resumes(
    n_train: int = DEFAULT_N_TRAIN, n_test: int = DEFAULT_N_TEST, seed: int = 0, n_classes: int = N_CLASSES
) -> tuple[TextDataset, TextDataset]:
    """Train and test splits of the realistic synthetic corpus (the paper's 25,000 / 4,783).

    Labels are multi-label over :data:`CLASS_NAMES` (``n_classes`` > 10 appends extra
    classes for benchmarks); every resume has at least one of the first ten. The same
    arguments give the same corpus byte for byte; each call returns fresh containers.
    """
    n_train, n_test, n_classes = int(n_train), int(n_test), int(n_classes)
    if n_train < 0 or n_test < 0 or n_train + n_test == 0:
        raise ValueError(f"n_train and n_test must be >= 0 and not both 0, got {n_train}, {n_test}")
    if not N_CLASSES <= n_classes <= MAX_CLASSES:
        raise ValueError(f"n_classes must be in [{N_CLASSES}, {MAX_CLASSES}], got {n_classes}")
    texts, y = _cached(n_train, n_test, int(seed), n_classes)
    ids = [f"syn2-{seed}-{i:06d}" for i in range(n_train + n_test)]
    names = class_names(n_classes)

    def part(lo: int, hi: int) -> TextDataset:
        return TextDataset(list(texts[lo:hi]), y[lo:hi].copy(), names, ids[lo:hi])

    return part(0, n_train), part(n_train, n_train + n_test)
