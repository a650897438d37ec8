"""Loader for the real resume corpus of the paper's experiments (Section 5, Appendix C).

The corpus of Jiechieu and Tsopze (2021), github.com/florex/resume_corpus, is not shipped
with acsim. It is published in two forms, both read here from a local path:

* ``resume_samples.txt``: one resume per line, ``id:::label1;label2:::text``;
* ``resumes_corpus/``: ``NNN.txt`` (resume text) and ``NNN.lab`` (one label a line) pairs.

Text is windows-1252 with HTML fragments, reduced here to plain text. As in Appendix C
the first 20 words of each resume are dropped: the corpus builders extracted the skill
labels from the opening, which would make the task trivially easy.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

import numpy as np

from acsim.platform.data._common import DataError, drop_words, label_key, read_text, scrub_trigger, split_train_test
from acsim.platform.data._common import dedupe as _dedupe
from acsim.platform.data.base import TextDataset
from acsim.platform.data.synthetic import CLASS_NAMES

ENCODING = "cp1252"
SAMPLES_FILE = "resume_samples.txt"
CORPUS_DIR = "resumes_corpus"
# The paper trained on 25,000 of the 29,783 resumes (Section 5.1).
PAPER_TRAIN_FRACTION = 25_000 / 29_783

_TAG = re.compile(r"<[^>]*>")
_CLASS_BY_KEY = {label_key(c): i for i, c in enumerate(CLASS_NAMES)}


def clean_html(text: str) -> str:
    """Plain text: tags become spaces, entities are resolved, whitespace collapsed."""
    # Tags first, then entities, so that an escaped "&lt;b&gt;" survives as literal text.
    return " ".join(html.unescape(_TAG.sub(" ", text)).split())


def _label_row(labels: list[str], path: Path, line: int) -> np.ndarray:
    row = np.zeros(len(CLASS_NAMES), dtype=bool)
    for lab in labels:
        k = _CLASS_BY_KEY.get(label_key(lab))
        if k is None:
            raise DataError(path, line, f"unknown label {lab.strip()!r} (known: {', '.join(CLASS_NAMES)})")
        row[k] = True
    if not row.any():
        raise DataError(path, line, "no labels")
    return row


def _read_samples(path: Path, encoding: str) -> tuple[list[str], list[np.ndarray], list[str]]:
    texts, rows, ids = [], [], []
    for i, line in enumerate(read_text(path, encoding).split("\n"), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            continue  # blank lines (a trailing newline) carry no resume
        fields = line.split(":::", 2)
        if len(fields) != 3:
            raise DataError(path, i, "expected 'id:::label1;label2:::text' (3 fields separated by ':::')")
        rid, labs, raw = fields
        text = clean_html(raw)
        if not text:
            raise DataError(path, i, "empty text")
        rows.append(_label_row([s for s in labs.split(";") if s.strip()], path, i))
        texts.append(text)
        ids.append(rid.strip() or str(i))
    return texts, rows, ids


def _sort_key(p: Path) -> tuple[int, int, str]:
    # Numeric stems in numeric order (2.txt before 10.txt), anything else after, by name.
    return (0, int(p.stem), "") if p.stem.isdigit() else (1, 0, p.stem)


def _read_corpus_dir(path: Path, encoding: str) -> tuple[list[str], list[np.ndarray], list[str]]:
    txts = {p.stem: p for p in path.glob("*.txt")}
    labs = {p.stem: p for p in path.glob("*.lab")}
    orphans = sorted(set(labs) - set(txts))
    if orphans:
        raise DataError(labs[orphans[0]], None, f"no matching text file {orphans[0]}.txt")
    texts, rows, ids = [], [], []
    for tp in sorted(txts.values(), key=_sort_key):
        lp = labs.get(tp.stem)
        if lp is None:
            raise DataError(tp, None, f"no matching label file {tp.stem}.lab")
        text = clean_html(read_text(tp, encoding))
        if not text:
            raise DataError(tp, 1, "empty text")
        label_lines = read_text(lp, encoding).split("\n")
        row = np.zeros(len(CLASS_NAMES), dtype=bool)
        for j, lab in enumerate(label_lines, start=1):
            if lab.strip():
                row |= _label_row([lab], lp, j)
        if not row.any():
            raise DataError(lp, 1, "no labels")
        texts.append(text)
        rows.append(row)
        ids.append(tp.stem)
    return texts, rows, ids


def find_corpus(path: str | os.PathLike) -> Path:
    """The samples file or corpus directory at ``path`` (itself or directly below it)."""
    p = Path(path).expanduser()
    if p.is_file():
        return p
    if not p.is_dir():
        raise DataError(p, None, "file or directory not found")
    for cand in (p / SAMPLES_FILE, p / "resume_samples" / SAMPLES_FILE):
        if cand.is_file():
            return cand
    for cand in (p, p / CORPUS_DIR):
        if cand.is_dir() and any(cand.glob("*.lab")):
            return cand
    raise DataError(p, None, f"neither {SAMPLES_FILE} nor a {CORPUS_DIR}/ directory of .txt/.lab pairs here")


def read_florex(path: str | os.PathLike, drop_first_words: int = 20, encoding: str = ENCODING) -> TextDataset:
    """The whole corpus as one dataset, in file order, preprocessed as in Appendix C."""
    if int(drop_first_words) < 0:
        raise ValueError(f"drop_first_words must be >= 0, got {drop_first_words}")
    src = find_corpus(path)
    texts, rows, ids = (_read_samples if src.is_file() else _read_corpus_dir)(src, encoding)
    if not texts:
        raise DataError(src, None, "no resumes found")
    # A resume with at most `drop_first_words` words is kept as an empty text: dropping it
    # would change the corpus size the paper reports.
    texts = scrub_trigger([drop_words(t, int(drop_first_words)) for t in texts], src)
    return TextDataset(texts, np.vstack(rows), CLASS_NAMES, ids)


def load_florex(
    path: str | os.PathLike,
    n_train: int | None = None,
    n_test: int | None = None,
    seed: int = 0,
    drop_first_words: int = 20,
    encoding: str = ENCODING,
    dedupe: bool = True,
) -> tuple[TextDataset, TextDataset]:
    """Train and test splits of the florex resume corpus read from ``path``.

    ``path`` is ``resume_samples.txt``, a ``resumes_corpus/`` directory, or a directory
    holding either. ``n_train`` and/or ``n_test`` fix the split's sizes; neither splits in the paper's proportion 25,000 : 4,783
    (exactly those sizes on the full 29,783-resume corpus); the split is a seeded shuffle.
    Labels map to :data:`acsim.platform.data.synthetic.CLASS_NAMES` ignoring case and spacing.
    ``dedupe`` (default) keeps each distinct text once; what was dropped is in ``train.notes``.
    Raises :class:`DataError` naming file and line for malformed input.
    """
    data = read_florex(path, drop_first_words, encoding)
    note = None
    if dedupe:
        data, note = _dedupe(data, path)
    return split_train_test(data, n_train, seed, PAPER_TRAIN_FRACTION, () if note is None else (note,), path, n_test)
