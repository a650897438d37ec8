"""The one text-data container every source produces and every text firm consumes."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class TextDataset:
    """Resumes with multi-label skill tags.

    ``labels`` is a boolean ``(n, K)`` matrix aligned with ``label_names``; ``ids`` are
    the source's identifiers (row numbers when the source has none); ``notes`` are what
    the loader wants a reader told (duplicates dropped, test texts also in training).
    """

    texts: list[str]
    labels: np.ndarray
    label_names: tuple[str, ...]
    ids: list[str] = field(default_factory=list)
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        labels = np.asarray(self.labels, dtype=bool)
        if labels.ndim != 2 or labels.shape != (len(self.texts), len(self.label_names)):
            raise ValueError(
                f"labels must have shape (n_texts, n_labels) = ({len(self.texts)}, "
                f"{len(self.label_names)}), got {labels.shape}"
            )
        object.__setattr__(self, "labels", labels)
        object.__setattr__(self, "label_names", tuple(self.label_names))
        if not self.ids:
            object.__setattr__(self, "ids", [str(i) for i in range(len(self.texts))])
        elif len(self.ids) != len(self.texts):
            raise ValueError(f"ids has {len(self.ids)} entries for {len(self.texts)} texts")

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def n_classes(self) -> int:
        return len(self.label_names)

    def subset(self, index: np.ndarray | list[int]) -> "TextDataset":
        idx = np.asarray(index, dtype=int)
        return TextDataset(
            [self.texts[i] for i in idx], self.labels[idx], self.label_names, [self.ids[i] for i in idx]
        )

    def replace(self, texts: list[str] | None = None, labels: np.ndarray | None = None) -> "TextDataset":
        """A copy with new texts and/or labels (the strategies' output), same ids and names."""
        return TextDataset(
            list(self.texts if texts is None else texts),
            self.labels if labels is None else labels,
            self.label_names,
            list(self.ids),
        )
