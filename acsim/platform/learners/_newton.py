"""L2-regularised one-vs-rest logistic regression solved to its optimum (the bow firm's A(P)).

The paper's theory is about a firm that is (ε-)optimal on its objective (Theorems 1-3):
a fixed epoch schedule stops far from the optimum on small data, so the firm's own
suboptimality, not the collective, would set S(α). This solver minimises, for every class
k independently (the K problems share only the design matrix X),

    F_k(w, b) = (1/n) Σ_i BCE(y_ik, x_i·w + b) + ||w||² / (2 C n),

which is scikit-learn's ``LogisticRegression(C=C)`` objective divided by C·n (the same
minimiser; intercepts unpenalised). Method: truncated Newton (as liblinear's TRON) with
a diagonally preconditioned conjugate-gradient inner solve, run for all classes at once
as the columns of one matrix, so each Hessian-vector product is two sparse products
``X @ V`` and ``X.T @ U`` over the whole corpus; classes that have converged leave the
product. The line search is exact-objective backtracking along the Newton direction,
which costs no extra product because the logits move linearly (Z + t·X s).

Stopping rule: the Newton decrement -g·s/2 estimates F_k - min F_k; a class stops when it
is below ``rtol`` · F_k (1e-3 by default in the bow firm: measured 0.04% above the minimum at 25k resumes) or its
largest gradient entry is below 1e-9, or F_k itself is below 1e-8 (a constant class, whose
optimum is at infinity, otherwise runs to ``max_iter``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.nn.functional import softplus

F64 = torch.float64
ATOL = 1e-8  # an objective below this is done whatever rtol says (see the stopping rule)


@dataclass
class NewtonResult:
    weight: torch.Tensor  # (d, K) float64
    bias: torch.Tensor  # (K,)
    objective: torch.Tensor  # (K,) F_k at the returned point
    iterations: int
    hessian_products: float  # in units of one K-column product
    converged: bool


def _cg(D, X, XT, mm, lam, rW, rb, MW, Mb, eta: float, max_steps: int):
    """Preconditioned CG on H s = r for every column, H = X^T D X + lam (block per class).

    All columns step together and a converged column just stops moving (alpha = 0): the
    products cost about the same for 1 or K columns (reading X dominates), and keeping the
    matrices whole saves the gather/scatter copies that dominated small corpora. The
    updates are in place for the same reason. The inner solve runs in float32 (an inexact
    Newton direction needs no more; half the memory traffic): the outer loop's gradient,
    objective and line search stay float64, so the optimum reached is the same.
    """
    D, rW, rb, MW, Mb = (t.to(torch.float32) for t in (D, rW, rb, MW, Mb))
    sW, sb = torch.zeros_like(rW), torch.zeros_like(rb)
    zW, zb = rW / MW, rb / Mb
    pW, pb = zW.clone(), zb.clone()
    rz = torch.linalg.vecdot(rW, zW, dim=0) + rb * zb
    stop = eta * torch.sqrt(torch.linalg.vecdot(rW, rW, dim=0) + rb**2)
    live = torch.ones(rb.shape[0], dtype=torch.bool)
    zero = torch.zeros_like(rz)
    steps = 0
    for steps in range(1, max_steps + 1):
        U = D * (mm(X, pW) + pb)
        HpW = mm(XT, U).add_(pW, alpha=lam)
        Hpb = U.sum(0)
        alpha = torch.where(live, rz / (torch.linalg.vecdot(pW, HpW, dim=0) + pb * Hpb).clamp_min(1e-300), zero)
        sW.addcmul_(pW, alpha)
        sb += alpha * pb
        rW.addcmul_(HpW, alpha, value=-1.0)
        rb -= alpha * Hpb
        live &= torch.sqrt(torch.linalg.vecdot(rW, rW, dim=0) + rb**2) > stop
        if not live.any():
            break
        zW, zb = rW / MW, rb / Mb
        rz_new = torch.linalg.vecdot(rW, zW, dim=0) + rb * zb
        beta = torch.where(live, rz_new / rz.clamp_min(1e-300), zero)
        pW, pb, rz = zW.addcmul_(pW, beta), zb + beta * pb, rz_new
    return sW.to(F64), sb.to(F64), float(steps)


def newton_logistic(
    X: torch.Tensor,
    XT: torch.Tensor,
    X2T: torch.Tensor,
    Y: torch.Tensor,
    C: float = 1.0,
    rtol: float = 1e-4,
    max_iter: int = 100,
    cg_eta: float = 0.1,
    max_cg: int = 25,
    weights: torch.Tensor | None = None,
    counts: torch.Tensor | None = None,
    start: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> NewtonResult:
    """Minimise every F_k (module docstring) from w = 0, b = the prior log-odds.

    ``X`` (n, d), ``XT`` = X^T and ``X2T`` = (X∘X)^T are CSR (or dense) tensors; float32
    is enough for them and for the inner CG, while the gradient, the objective and the
    line search accumulate in float64. ``Y`` is (n, K) in {0, 1}. ``weights`` (n, K) or
    (n, 1), ≥ 0: each example's loss in class k's problem counts w_ik times (scikit-learn's
    ``sample_weight``/``class_weight``: the penalty is unchanged, so weights averaging 1
    keep the regularisation of the unweighted problem). ``counts`` (n, 1): how many
    examples each row stands for (identical rows stored once); n in F_k is their sum, so
    the problem is exactly that of the rows repeated. ``start``: (W, b) to start from
    instead of w = 0 (scikit-learn's ``warm_start``; the minimiser is the same).
    """
    k = Y.shape[1]
    Y = Y.to(F64)
    Wt = torch.ones(Y.shape[0], 1, dtype=F64) if weights is None else weights.to(F64)
    if counts is not None:
        Wt = Wt * counts.to(F64)
    n = float(Y.shape[0] if counts is None else counts.sum())
    lam = 1.0 / (C * n)

    def mm(A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
        out = A @ B.to(A.dtype).contiguous()
        return out if B.dtype == A.dtype else out.to(B.dtype)  # float64 in, float64 out

    def wt(cols: torch.Tensor | None = None) -> torch.Tensor:
        return Wt if Wt.shape[1] == 1 or cols is None else Wt[:, cols]

    def objective(Z: torch.Tensor, W: torch.Tensor, Yc: torch.Tensor = Y, w: torch.Tensor = Wt) -> torch.Tensor:
        return (w * (softplus(Z) - Yc * Z)).sum(0) / n + 0.5 * lam * (W * W).sum(0)

    prior = ((Wt * Y).sum(0) / Wt.expand_as(Y).sum(0)).clamp(1e-6, 1 - 1e-6)
    if start is None:
        W = torch.zeros(X.shape[1], k, dtype=F64)
        b = torch.log(prior / (1 - prior))
        Z = torch.zeros(Y.shape[0], k, dtype=F64) + b
    else:
        W, b = start[0].to(F64).clone(), start[1].to(F64).clone()
        Z = mm(X, W) + b
    live = torch.ones(k, dtype=torch.bool)
    products, it = 0.0, 0
    for it in range(1, max_iter + 1):
        cols = torch.nonzero(live).flatten()
        P = torch.sigmoid(Z[:, cols])
        w = wt(cols)
        G = w * (P - Y[:, cols]) / n
        gW, gb = mm(XT, G) + lam * W[:, cols], G.sum(0)
        D = w * P * (1 - P) / n
        # Jacobi preconditioner: the Hessian's diagonal, sum_i D_i x_ij^2 + lam.
        sW, sb, p = _cg(D, X, XT, mm, lam, -gW, -gb, mm(X2T, D) + lam, D.sum(0) + 1e-300, cg_eta, max_cg)
        products += p * len(cols) / k + 2 * len(cols) / k
        slope = (gW * sW).sum(0) + gb * sb  # < 0: a descent direction
        f0 = objective(Z[:, cols], W[:, cols], Y[:, cols], w)
        Zs = mm(X, sW) + sb
        t = torch.ones(len(cols), dtype=F64)
        for _ in range(50):
            ok = objective(Z[:, cols] + t * Zs, W[:, cols] + t * sW, Y[:, cols], w) <= f0 + 1e-4 * t * slope
            if ok.all():
                break
            t = torch.where(ok, t, t / 2)
        W[:, cols] += t * sW
        b[cols] += t * sb
        Z[:, cols] += t * Zs
        f1 = objective(Z[:, cols], W[:, cols], Y[:, cols], w)
        # Newton converges superlinearly near the optimum, so once a step (and the
        # decrement -g.s/2, the predicted gain) gains less than rtol of the objective, the
        # remaining gap is smaller still.
        # A class every resume has (or none has) has its optimum at infinity: F_k only creeps
        # towards 0, so below ATOL there is less than that left to gain and it stops.
        done = ((f0 - f1 <= rtol * f1) & (-slope / 2 <= rtol * f0)) | (torch.maximum(gW.abs().amax(0), gb.abs()) <= 1e-9) \
            | (f1 <= ATOL)
        live[cols[done]] = False
        if not live.any():
            break
    return NewtonResult(W, b, objective(Z, W), it, products, bool(not live.any()))
