"""The bag-of-WordPiece features: token counts as sparse rows (numpy; torch CSR on demand)."""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
import torch


class _Csr:
    """Row-compressed sparse features (numpy arrays; torch CSR tensors made on demand)."""

    def __init__(self, indptr: np.ndarray, indices: np.ndarray, values: np.ndarray, n_cols: int) -> None:
        self.indptr, self.indices, self.values, self.n_cols = indptr, indices, values, n_cols

    @property
    def n_rows(self) -> int:
        return len(self.indptr) - 1

    def take(self, rows: np.ndarray) -> "_Csr":
        """The sub-matrix of the given rows, in that order (vectorised gather, no Python loop)."""
        starts = self.indptr[rows]
        lengths = self.indptr[rows + 1] - starts
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        pos = np.arange(indptr[-1], dtype=np.int64) + np.repeat(starts - indptr[:-1], lengths)
        return _Csr(indptr, self.indices[pos], self.values[pos], self.n_cols)

    def transpose(self) -> "_Csr":
        t = sp.csr_matrix((self.values, self.indices, self.indptr), shape=(self.n_rows, self.n_cols)).T.tocsr()
        return _Csr(t.indptr.astype(np.int64), t.indices.astype(np.int64), t.data, self.n_rows)

    def torch(self, device: torch.device, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        with warnings.catch_warnings():
            # "sparse CSR support is in beta": the two ops used here (CSR @ dense) are stable.
            warnings.simplefilter("ignore", UserWarning)
            # int32 indices where they fit: the products read ~30% less memory, ~30% faster.
            index = torch.int32 if max(len(self.indices), self.n_cols) < 2**31 else torch.int64
            return torch.sparse_csr_tensor(
                torch.from_numpy(self.indptr).to(index),
                torch.from_numpy(self.indices).to(index),
                torch.from_numpy(self.values).to(dtype),
                size=(self.n_rows, self.n_cols),
                check_invariants=False,
            ).to(device)

    def pair(self, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """X and its explicit transpose, the operands of :class:`_SparseMatmul`."""
        return self.torch(device), self.transpose().torch(device)


def _featurize(rows: list[np.ndarray], features: str, normalize: bool, n_cols: int) -> _Csr:
    lengths = np.fromiter((r.shape[1] for r in rows), dtype=np.int64, count=len(rows))
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    if rows:
        packed = np.concatenate(rows, axis=1)
        indices = packed[0].astype(np.int64)
        counts = packed[1].astype(np.float32)
    else:
        indices = np.zeros(0, dtype=np.int64)
        counts = np.zeros(0, dtype=np.float32)
    if features == "log1p":
        values = np.log1p(counts)
    elif features == "binary":
        values = np.ones_like(counts)
    else:
        values = counts
    if normalize and len(values):
        # Unit-length rows: long and short resumes then give logits on one scale.
        row_of = np.repeat(np.arange(len(rows)), lengths)
        norms = np.sqrt(np.bincount(row_of, weights=values.astype(np.float64) ** 2, minlength=len(rows)))
        values = values / np.maximum(norms, 1e-12)[row_of]
    return _Csr(indptr, indices, values.astype(np.float32), n_cols)
