"""Resume data the workers own: the synthetic default, the florex corpus, any labeled CSV."""

from __future__ import annotations

import os

from acsim.platform.data._common import DataError, class_index
from acsim.platform.data.base import TextDataset
from acsim.platform.data.csvfile import load_csv
from acsim.platform.data.florex import load_florex
from acsim.platform.data import synthetic_v1
from acsim.platform.data.synthetic import CLASS_NAMES, synthetic_resumes

# "synthetic" is the realistic corpus (acsim.platform.data.synthetic); "synthetic-v1" the first
# generator, kept so that batches run with it can be reproduced.
SOURCES = ("synthetic", "synthetic-v1", "florex", "csv")

def is_synthetic(source: str) -> bool:
    """Generated sources (no file, the seed draws the resumes themselves)."""
    return str(source).strip().lower() in ("synthetic", "synthetic-v1")


__all__ = [
    "is_synthetic",
    "CLASS_NAMES",
    "DataError",
    "class_index",
    "SOURCES",
    "TextDataset",
    "load_csv",
    "load_dataset",
    "load_florex",
    "synthetic_resumes",
]


def load_dataset(
    source: str = "synthetic", path: str | os.PathLike | None = None, **kwargs
) -> tuple[TextDataset, TextDataset]:
    """(train, test) from one of :data:`SOURCES`; ``kwargs`` go to that source's loader.

    ``synthetic`` and ``synthetic-v1`` take no path (:func:`synthetic_resumes`,
    :func:`acsim.platform.data.synthetic_v1.synthetic_resumes`); ``florex`` (:func:`load_florex`)
    and ``csv`` (:func:`load_csv`) need one.
    """
    name = str(source).strip().lower()
    if name not in SOURCES:
        raise ValueError(f"unknown data source {source!r}; choose one of {', '.join(SOURCES)}")
    if name.startswith("synthetic"):
        if path is not None:
            raise ValueError(f"the {name} source takes no path; use source='florex' or 'csv' for files")
        return (synthetic_resumes if name == "synthetic" else synthetic_v1.synthetic_resumes)(**kwargs)
    if path is None:
        raise ValueError(f"the {name} source needs a path")
    return (load_florex if name == "florex" else load_csv)(path, **kwargs)
