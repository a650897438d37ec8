"""Any labeled CSV of texts, so that users can run the simulation on their own data.

Two label layouts are read:

* one column of label sets, labels separated by ``label_sep`` (``;`` by default, as in
  the florex corpus) within the cell, e.g. ``"Web_Developer;Java_Developer"``; an empty
  cell is a text with no label;
* a list of 0/1 columns, one per class (``1/0``, ``true/false``, ``yes/no``).

Error messages count lines as a person reading the file would: the header is line 1.
"""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

from acsim.platform.data._common import DataError, drop_words, label_key, read_text, scrub_trigger, split_train_test
from acsim.platform.data._common import dedupe as _dedupe
from acsim.platform.data.base import TextDataset

if TYPE_CHECKING:
    import pandas as pd

_TRUE = {"1", "1.0", "true", "yes", "y", "t"}
_FALSE = {"0", "0.0", "false", "no", "n", "f"}


def _records(text: str, sep: str) -> list[tuple[int, bool]] | None:
    """(first line, non-blank) of every record, blank lines included; None if unreadable.

    A quoted cell may span lines, so the n-th record need not start on line n.
    """
    out, prev = [], 0
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    try:
        for row in reader:
            out.append((prev + 1, bool(row)))
            prev = reader.line_num
    except csv.Error:
        return None
    return out


def _row_lines(text: str, sep: str, n_rows: int) -> list[int]:
    """The line on which each data row starts."""
    starts = [line for line, filled in _records(text, sep) or [] if filled]
    if len(starts) != n_rows + 1:  # the two parsers disagree: best guess, one line per row
        return list(range(2, n_rows + 2))
    return starts[1:]


def _parse(path: Path, text: str, sep: str) -> "pd.DataFrame":
    # pandas is imported here: importing acsim.platform.data (as every firm does) should stay cheap.
    import pandas as pd

    try:
        return pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, na_filter=False)
    except pd.errors.EmptyDataError:
        raise DataError(path, 1, "empty file, expected a header line") from None
    except pd.errors.ParserError as exc:
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if m:
            # pandas numbers records (a multi-line quoted cell counts once), not lines.
            recs = _records(text, sep) or []
            k = int(m[2])
            line = recs[k - 1][0] if 0 < k <= len(recs) else k
            raise DataError(path, line, f"expected {m[1]} fields, saw {m[3]}") from None
        raise DataError(path, None, f"cannot parse as CSV: {str(exc).strip()}") from None


def _bool_cell(v: str, column: str, path: Path, line: int) -> bool:
    s = v.strip().lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise DataError(path, line, f"column {column!r}: expected 0 or 1, got {v!r}")


def load_csv(
    path: str | os.PathLike,
    text_column: str = "text",
    label_column: str | None = None,
    label_columns: Sequence[str] | None = None,
    label_names: Sequence[str] | None = None,
    label_sep: str = ";",
    id_column: str | None = None,
    n_train: int | None = None,
    n_test: int | None = None,
    test_fraction: float = 0.16,
    seed: int = 0,
    drop_first_words: int = 0,
    encoding: str = "utf-8",
    sep: str = ",",
    dedupe: bool = True,
) -> tuple[TextDataset, TextDataset]:
    """Train and test splits of a labeled CSV file.

    Give either ``label_column`` (label sets joined by ``label_sep``) or ``label_columns``
    (0/1 columns); with neither, the column ``labels`` is read as label sets. For label
    sets, ``label_names`` fixes the classes and their order (matched ignoring case and
    spacing; other labels are an error), else the distinct labels, sorted, are the classes.
    For 0/1 columns, ``label_names`` renames the columns. ``n_train`` and/or ``n_test`` fix the split's sizes,
    else ``test_fraction`` of the rows (default 0.16, the paper's 4,783 of 29,783) is test.
    ``drop_first_words`` applies Appendix C's preprocessing when the texts need it.
    ``dedupe`` (default) keeps each distinct text once (:func:`acsim.platform.data._common.dedupe`);
    the count dropped, and any test text also in training, are in ``train.notes``.
    Raises :class:`DataError` naming file and line for malformed input.
    """
    if label_column is not None and label_columns is not None:
        raise ValueError("give label_column or label_columns, not both")
    if not 0.0 < float(test_fraction) < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    if int(drop_first_words) < 0:
        raise ValueError(f"drop_first_words must be >= 0, got {drop_first_words}")
    path = Path(path).expanduser()
    raw = read_text(path, encoding)
    df = _parse(path, raw, sep)
    if label_columns is None and label_column is None:
        label_column = "labels"
    needed = [text_column, *([label_column] if label_column else list(label_columns or []))]
    needed += [id_column] if id_column else []
    for col in needed:
        if col not in df.columns:
            have = ", ".join(map(str, df.columns))
            raise DataError(path, 1, f"no column {col!r} in the header (columns: {have})")
    if len(df) == 0:
        raise DataError(path, None, "no data rows")

    lines: list[int] | None = None

    def line_of(i: int) -> int:
        nonlocal lines
        if lines is None:  # only computed when there is an error to report
            lines = _row_lines(raw, sep, len(df))
        return lines[i]

    texts = df[text_column].tolist()
    for i, t in enumerate(texts):
        if not t.strip():
            raise DataError(path, line_of(i), "empty text")

    if label_columns is not None:
        cols = list(label_columns)
        if not cols:
            raise ValueError("label_columns is empty")
        names = tuple(label_names) if label_names is not None else tuple(cols)
        if len(names) != len(cols):
            raise ValueError(f"label_names has {len(names)} names for {len(cols)} label_columns")
        y = np.zeros((len(df), len(cols)), dtype=bool)
        for j, col in enumerate(cols):
            for i, v in enumerate(df[col].tolist()):
                y[i, j] = _bool_cell(v, col, path, line_of(i))
    else:
        sets = [[s.strip() for s in cell.split(label_sep) if s.strip()] for cell in df[label_column].tolist()]
        if label_names is None:
            # Spellings differing only in case/spacing are one class, named as first seen.
            first: dict[str, str] = {}
            for row in sets:
                for s in row:
                    first.setdefault(label_key(s), s)
            names = tuple(first[k] for k in sorted(first))
            if not names:
                raise DataError(path, None, f"column {label_column!r} holds no labels")
        else:
            names = tuple(label_names)
        index = {label_key(n): k for k, n in enumerate(names)}
        if len(index) != len(names):
            raise ValueError(f"label_names has duplicates (ignoring case and spacing): {names}")
        y = np.zeros((len(df), len(names)), dtype=bool)
        for i, row in enumerate(sets):
            for s in row:
                k = index.get(label_key(s))
                if k is None:
                    raise DataError(path, line_of(i), f"unknown label {s!r} (known: {', '.join(names)})")
                y[i, k] = True

    ids = df[id_column].astype(str).tolist() if id_column else None
    texts = [drop_words(t, int(drop_first_words)) if drop_first_words else t for t in texts]
    data = TextDataset(scrub_trigger(texts, path), y, names, ids or [])
    note = None
    if dedupe:
        data, note = _dedupe(data, path)
    return split_train_test(data, n_train, seed, 1.0 - float(test_fraction), () if note is None else (note,), path, n_test)
