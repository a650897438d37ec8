"""What the file-based sources share: the error type, decoding, label matching, the split."""

from __future__ import annotations

import dataclasses
import os
import re
import warnings
from pathlib import Path

import numpy as np

from acsim.platform.data.base import TextDataset
from acsim.platform.text import TRIGGER


class DataError(ValueError):
    """Malformed input data; the message names the file, the 1-based line and the problem."""

    def __init__(self, path: str | os.PathLike, line: int | None, problem: str) -> None:
        self.path, self.line, self.problem = str(path), line, problem
        where = f"{self.path}: line {line}" if line is not None else self.path
        super().__init__(f"{where}: {problem}")

    def __reduce__(self):  # keeps it picklable across worker processes
        return (type(self), (self.path, self.line, self.problem))


def read_text(path: Path, encoding: str) -> str:
    """The whole file decoded; a bad byte is reported with the line it sits on."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(path, None, "file not found") from None
    except IsADirectoryError:
        raise DataError(path, None, "is a directory, expected a file") from None
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        bad = raw[exc.start : exc.end].hex(" ")
        raise DataError(path, line, f"cannot decode byte(s) 0x{bad} as {encoding}") from None
    except LookupError:
        raise ValueError(f"unknown encoding {encoding!r}") from None


def label_key(name: str) -> str:
    """Case, surrounding space and space/underscore/hyphen runs do not distinguish labels."""
    return re.sub(r"[\s_\-]+", "_", name.strip()).casefold()


def class_index(value: str | int, names: tuple[str, ...], where: str) -> int:
    """The class ``value`` names: an index (``2``, ``"2"``) or a name, ignoring case and spacing."""
    text = str(value).strip()
    if text.lstrip("-").isdigit():
        k = int(text)
        if 0 <= k < len(names):
            return k
        raise ValueError(f"{where}: class index {k} is outside [0, {len(names) - 1}] ({len(names)} classes)")
    index = {label_key(n): k for k, n in enumerate(names)}
    if label_key(text) in index:
        return index[label_key(text)]
    shown = ", ".join(names[:30]) + (", ..." if len(names) > 30 else "")
    raise ValueError(f"{where}: {text!r} is not a class of the data (classes: {shown})")


def scrub_trigger(texts: list[str], source: str | os.PathLike) -> list[str]:
    """Remove the trigger character from base data, with a warning.

    The collective's signal must be unique within the corpus (Section 5); a stray U+05BE
    in someone's data would leak the signal into the base distribution.
    """
    hits = sum(t.count(TRIGGER) for t in texts)
    if not hits:
        return texts
    warnings.warn(
        f"{source}: removed {hits} occurrence(s) of the trigger character U+05BE from the data",
        stacklevel=3,
    )
    return [t.replace(TRIGGER, " ") if TRIGGER in t else t for t in texts]


def drop_words(text: str, k: int) -> str:
    """The text without its first ``k`` whitespace-separated words (Appendix C), spaces normalised."""
    return " ".join(text.split()[k:])


def _norm(text: str) -> str:
    return " ".join(text.split())


def dedupe(data: TextDataset, source: str | os.PathLike) -> tuple[TextDataset, str | None]:
    """``data`` with each text once (the first occurrence; whitespace runs do not count).

    Scraped corpora repeat resumes; a repeated text split across train and test is scored
    on a text the firm trained on (accuracy 1.0 on those), and one in the collective counts
    twice. Returns the note to print, None when nothing was dropped.
    """
    seen: dict[str, int] = {}
    keep, conflicts = [], 0
    for i, t in enumerate(data.texts):
        j = seen.setdefault(_norm(t), i)
        if j == i:
            keep.append(i)
        elif not np.array_equal(data.labels[i], data.labels[j]):
            conflicts += 1
    dropped = len(data) - len(keep)
    if not dropped:
        return data, None
    extra = f", {conflicts} of them with other labels than the first copy" if conflicts else ""
    return data.subset(keep), f"{source}: dropped {dropped} duplicate text(s), kept the first of each{extra} (dedupe=false keeps them)"


def split_train_test(
    data: TextDataset, n_train: int | None, seed: int, train_fraction: float, notes: tuple[str, ...] = (),
    source: str | os.PathLike = "data", n_test: int | None = None,
) -> tuple[TextDataset, TextDataset]:
    """A seeded random split: ``n_train`` and/or ``n_test`` examples, else ``round(train_fraction * n)`` for training.

    With only ``n_test``, training takes the rest; with both, the remainder is unused.
    Each part keeps the source order, so the same seed gives the same datasets. A test
    text that also occurs in training is warned about (and noted on the train part).
    """
    n = len(data)
    if n_test is not None:
        n_test = int(n_test)
        if not 0 < n_test < n:
            raise ValueError(f"n_test must be in [1, {n - 1}] for {n} examples in {source}, got {n_test}")
        if n_train is None:
            n_train = n - n_test
    if n_train is None:
        n_train = int(round(train_fraction * n))
        n_train = min(max(n_train, 1), n - 1) if n >= 2 else n
    n_train = int(n_train)
    hi = n - (n_test or 0)
    if not 0 < n_train <= hi:
        extra = f" with n_test = {n_test}" if n_test else ""
        raise ValueError(f"n_train must be in [1, {hi}] for {n} examples in {source}{extra}, got {n_train}")
    perm = np.random.default_rng(seed).permutation(n)
    test_idx = perm[n_train:] if n_test is None else perm[n_train:n_train + n_test]
    train, test = data.subset(np.sort(perm[:n_train])), data.subset(np.sort(test_idx))
    known = {_norm(t) for t in train.texts}
    leaked = sum(_norm(t) in known for t in test.texts)
    if leaked:
        note = (f"{source}: {leaked} of {len(test)} test texts also appear in training (split seed {seed}): "
                "success and accuracy on them measure memory, not learning")
        warnings.warn(note, stacklevel=3)
        notes = (*notes, note)
    return dataclasses.replace(train, notes=tuple(notes)), test
