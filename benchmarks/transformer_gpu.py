"""How far the transformer firm is from the hardware floor, and from a naive Trainer run.

The paper's firm (Section 5.1, Appendix C) fine-tunes distilbert-base-uncased for 5 epochs
on 25,000 resumes with the Hugging Face ``Trainer`` defaults. The simulation retrains such
a firm every round, so the cost of one epoch decides what sweeps are affordable. This
script measures, on one device:

1. the device's dense matmul rate (a large ``torch.matmul`` loop) in bf16, and in the
   dtype the learner actually trains in when that is not bf16 (fp32 on a CPU);
2. one fine-tune of :class:`acsim.platform.learners.transformer.TransformerLearner`: seconds per
   epoch, real (non-pad) tokens per second, padding overhead, cold/hot tokenization;
3. the arithmetic floor ``6 x parameters x tokens / matmul rate`` (forward 2, backward 4
   FLOPs per parameter per token) and the ratio measured / floor, once with all
   parameters (as usually quoted) and once without the embedding tables, which are
   looked up rather than multiplied;
4. the same fine-tune with a naive ``transformers.Trainer`` (its default settings: fp32,
   batch 8, every resume padded to ``max_length``), and the speed-up over it. Without the
   ``accelerate`` package, which ``Trainer`` requires, a plain loop with the same
   defaults stands in, and the JSON says so;
5. the honest baseline, a careful user's ``Trainer``: resumes tokenized before the clock
   starts (as the learner's token cache has them from the second round on), padded only to
   each batch's longest, length-grouped batches (``train_sampling_strategy="group_by_length"``,
   transformers 5's spelling of ``group_by_length=True``), the learner's batch size and
   learning rate, and ``bf16=True`` wherever the learner trains in bf16 (a GPU). The
   speed-up over this one is the headline (benchmarks/README.md).

Full run (GPU)::

    python benchmarks/transformer_gpu.py --n-train 25000 --max-length 256 --epochs 1 \\
        --out benchmarks/results/transformer_gpu.json

CPU smoke check::

    python benchmarks/transformer_gpu.py --n-train 64 --max-length 32 --epochs 1 --device cpu \\
        --out /tmp/transformer_smoke.json
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from acsim.platform.data.base import TextDataset  # noqa: E402
from acsim.platform.learners.pretrained import pretrained_state, quiet_transformers  # noqa: E402
from acsim.platform.learners.transformer import DEFAULT_TOKEN_CACHE, TransformerLearner, clear_token_cache  # noqa: E402


# ---------------------------------------------------------------------------------------
# corpus
# ---------------------------------------------------------------------------------------
def _random_corpus(n: int, seed: int) -> TextDataset:
    """Stand-in resumes when the synthetic generator is unavailable: 150-400 words, 3 classes."""
    rng = np.random.default_rng(seed)
    common = (
        "experienced team project client delivered managed developed designed implemented "
        "support production system application business requirements analysis years senior"
    ).split()
    skills = [
        "sql oracle database backup schema replication indexing postgres tuning".split(),
        "html css javascript react frontend browser layout typescript angular".split(),
        "java compiler algorithms debugging threads refactoring kotlin gradle python".split(),
    ]
    y = rng.random((n, 3)) < np.array([0.11, 0.23, 0.5])
    y[~y.any(axis=1), 2] = True
    texts = []
    for i in range(n):
        m = int(rng.integers(150, 400))
        pool = common + sum((skills[k] for k in np.flatnonzero(y[i])), [])
        texts.append(" ".join(rng.choice(pool, m)))
    return TextDataset(texts, y, ("Database_Administrator", "Web_Developer", "Software_Developer"))


def build_corpus(n_train: int, n_test: int, seed: int) -> tuple[TextDataset, TextDataset, str]:
    """The synthetic resume corpus of :mod:`acsim.platform.data.synthetic`, else random stand-in texts."""
    try:
        from acsim.platform.data.synthetic import synthetic_resumes

        train, test = synthetic_resumes(n_train=n_train, n_test=max(n_test, 1), seed=seed)
        return train, test.subset(np.arange(min(n_test, len(test)))), "acsim.platform.data.synthetic"
    except Exception as exc:  # the generator is optional here: the timing needs only texts
        print(f"[corpus] synthetic_resumes unavailable ({type(exc).__name__}: {exc}); using random texts")
        ds = _random_corpus(n_train + n_test, seed)
        return ds.subset(np.arange(n_train)), ds.subset(np.arange(n_train, n_train + n_test)), "random"


# ---------------------------------------------------------------------------------------
# device
# ---------------------------------------------------------------------------------------
def _sync(dev: torch.device) -> None:
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def matmul_tflops(dev: torch.device, dtype: torch.dtype, n: int, seconds: float = 2.0) -> float:
    """Sustained dense ``n x n`` matmul rate in TFLOP/s (2 n^3 FLOPs per product)."""
    gen = torch.Generator(device="cpu").manual_seed(0)
    a = torch.randn(n, n, generator=gen).to(dev, dtype)
    b = torch.randn(n, n, generator=gen).to(dev, dtype)
    for _ in range(3):  # kernel selection and clocks out of the measurement
        c = a @ b
    _sync(dev)
    # Calibrate the loop length so that it runs about `seconds`.
    t = time.perf_counter()
    c = a @ b
    _sync(dev)
    one = max(time.perf_counter() - t, 1e-6)
    iters = max(3, int(seconds / one))
    t = time.perf_counter()
    for _ in range(iters):
        c = a @ b
    _sync(dev)
    dt = time.perf_counter() - t
    del c
    return 2.0 * n**3 * iters / dt / 1e12


def _device_name(dev: torch.device) -> str:
    if dev.type == "cuda":
        return torch.cuda.get_device_name(dev)
    return f"{platform.processor() or platform.machine()} ({torch.get_num_threads()} torch threads)"


# ---------------------------------------------------------------------------------------
# baselines
# ---------------------------------------------------------------------------------------
def _padded_encodings(texts: list[str], model_path: str, max_length: int) -> dict[str, torch.Tensor]:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_path, local_files_only=True)
    enc = tok(texts, padding="max_length", truncation=True, max_length=max_length, return_tensors="pt")
    return dict(enc)


class _PaddedDataset(torch.utils.data.Dataset):
    def __init__(self, enc: dict[str, torch.Tensor], labels: np.ndarray) -> None:
        self.enc = enc
        self.labels = torch.from_numpy(labels.astype(np.float32))

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        item = {k: v[i] for k, v in self.enc.items()}
        item["labels"] = self.labels[i]
        return item


def _fresh_model(model_path: str, n_labels: int) -> torch.nn.Module:
    from transformers import AutoModelForSequenceClassification

    with quiet_transformers():
        return AutoModelForSequenceClassification.from_pretrained(
            model_path, num_labels=n_labels, problem_type="multi_label_classification", local_files_only=True
        )


def trainer_baseline(train: TextDataset, args: argparse.Namespace, model_path: str, dev: torch.device) -> dict[str, Any]:
    """``transformers.Trainer`` with its defaults; a plain loop with the same defaults without accelerate."""
    t0 = time.perf_counter()
    enc = _padded_encodings(train.texts, model_path, args.max_length)
    tokenize_seconds = time.perf_counter() - t0
    ds = _PaddedDataset(enc, train.labels)
    model = _fresh_model(model_path, train.n_classes)
    real_tokens = int(enc["attention_mask"].sum()) * args.epochs
    try:
        import accelerate  # noqa: F401  (Trainer refuses to run without it)
        from transformers import Trainer, TrainingArguments

        kind = "transformers.Trainer (defaults)"
    except ImportError as exc:
        kind = f"manual loop with Trainer defaults ({exc}; pip install accelerate for the real Trainer)"
        Trainer = None  # type: ignore[assignment]

    if Trainer is not None:
        with tempfile.TemporaryDirectory() as tmp:
            targs = TrainingArguments(
                output_dir=tmp,
                num_train_epochs=args.epochs,
                seed=args.seed,
                # Only I/O and reporting are switched off; every optimisation setting stays default.
                save_strategy="no",
                report_to="none",
                logging_strategy="no",
                disable_tqdm=True,
                use_cpu=dev.type == "cpu",
            )
            trainer = Trainer(model=model, args=targs, train_dataset=ds)
            t = time.perf_counter()
            trainer.train()
            _sync(dev)
            seconds = time.perf_counter() - t
            batch_size = targs.per_device_train_batch_size
    else:
        batch_size = 8
        model.to(dev).train()
        opt = torch.optim.AdamW(model.parameters(), lr=5e-5, weight_decay=0.0)
        steps = math.ceil(len(ds) / batch_size) * args.epochs
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: max(0.0, (steps - s) / steps))
        loader = torch.utils.data.DataLoader(
            ds, batch_size=batch_size, shuffle=True, generator=torch.Generator().manual_seed(args.seed)
        )
        t = time.perf_counter()
        for _ in range(args.epochs):
            for batch in loader:
                batch = {k: v.to(dev) for k, v in batch.items()}
                loss = model(**batch).loss
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
                sched.step()
                opt.zero_grad()
        _sync(dev)
        seconds = time.perf_counter() - t
    return {
        "kind": kind,
        "n_train": len(train),
        "batch_size": batch_size,
        "precision": "fp32",
        "padding": f"every text to max_length={args.max_length}",
        "tokenize_seconds": tokenize_seconds,
        "train_seconds": seconds,
        "seconds_per_epoch": seconds / args.epochs,
        "real_tokens": real_tokens,
        "padded_tokens": int(enc["input_ids"].numel()) * args.epochs,
    }


class _TokenDataset(torch.utils.data.Dataset):
    """Pre-tokenized resumes, unpadded: ``Trainer``'s length grouping reads ``input_ids``' lengths."""

    def __init__(self, ids: list[np.ndarray], labels: np.ndarray) -> None:
        self.ids = [torch.from_numpy(x.astype(np.int64)) for x in ids]
        self.labels = torch.from_numpy(labels.astype(np.float32))

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"input_ids": self.ids[i], "labels": self.labels[i]}


def _pad_batch(pad_id: int):
    def collate(items: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
        width = max(len(x["input_ids"]) for x in items)
        ids = torch.full((len(items), width), pad_id, dtype=torch.long)
        mask = torch.zeros((len(items), width), dtype=torch.long)
        for i, x in enumerate(items):
            ids[i, : len(x["input_ids"])] = x["input_ids"]
            mask[i, : len(x["input_ids"])] = 1
        return {"input_ids": ids, "attention_mask": mask, "labels": torch.stack([x["labels"] for x in items])}

    return collate


def tuned_trainer_baseline(
    train: TextDataset, args: argparse.Namespace, model_path: str, dev: torch.device, batch_size: int, bf16: bool
) -> dict[str, Any]:
    """``transformers.Trainer`` as a careful user sets it up (module docstring, item 5)."""
    import accelerate  # noqa: F401  (Trainer refuses to run without it)
    from transformers import Trainer, TrainingArguments

    t0 = time.perf_counter()
    ids = DEFAULT_TOKEN_CACHE.ids(train.texts, model_path, args.max_length)
    tokenize_seconds = time.perf_counter() - t0
    model = _fresh_model(model_path, train.n_classes)
    pad = model.config.pad_token_id if model.config.pad_token_id is not None else 0
    with tempfile.TemporaryDirectory() as tmp:
        targs = TrainingArguments(
            output_dir=tmp, num_train_epochs=args.epochs, seed=args.seed, save_strategy="no", report_to="none",
            logging_strategy="no", disable_tqdm=True, use_cpu=dev.type == "cpu",
            bf16=bf16, train_sampling_strategy="group_by_length", per_device_train_batch_size=batch_size,
            learning_rate=args.lr, remove_unused_columns=False, max_steps=args.max_steps or -1,
        )
        trainer = Trainer(model=model, args=targs, train_dataset=_TokenDataset(ids, train.labels),
                          data_collator=_pad_batch(pad))
        t = time.perf_counter()
        out = trainer.train()
        _sync(dev)
        seconds = time.perf_counter() - t
    steps = int(out.global_step)
    steps_per_epoch = math.ceil(len(train) / batch_size)
    real = int(sum(len(x) for x in ids))
    return {
        "kind": "transformers.Trainer (tuned: pre-tokenized, dynamic padding, length-grouped, learner's batch and lr"
                + (", bf16)" if bf16 else ", fp32 as the learner)"),
        "n_train": len(train), "batch_size": batch_size, "precision": "bf16" if bf16 else "fp32",
        "padding": "to each batch's longest resume", "sampler": "group_by_length",
        "tokenize_seconds_outside_timing": tokenize_seconds, "steps": steps, "train_seconds": seconds,
        "seconds_per_epoch": seconds / steps * steps_per_epoch if args.max_steps else seconds / args.epochs,
        "real_tokens_per_epoch": real,
    }


# ---------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------
def _write_json(path: Path, payload: dict[str, Any]) -> None:
    """Atomic: an interrupted run never leaves half a file behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        json.dump(payload, fh, indent=2, sort_keys=False)
        fh.write("\n")
    os.replace(tmp, path)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n-train", type=int, default=25_000, help="training resumes (paper: 25000)")
    p.add_argument("--n-test", type=int, default=1_000, help="resumes scored to time predict_scores")
    p.add_argument("--max-length", type=int, default=256)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=None, help="learner batch (default: 32 CPU, 128 GPU)")
    p.add_argument("--lr", type=float, default=5e-5)
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    p.add_argument("--model-path", default=None, help="local model directory (default: packaged MiniLM)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--matmul-size", type=int, default=None, help="n of the n x n matmul (default 8192 GPU, 1024 CPU)")
    p.add_argument("--matmul-seconds", type=float, default=None, help="length of each matmul loop (default 3 GPU, 1 CPU)")
    p.add_argument(
        "--baseline", choices=("trainer", "none"), default="trainer",
        help="time the naive and the tuned Trainer runs too"
    )
    p.add_argument(
        "--baseline-n-train", type=int, default=None,
        help="resumes for the baseline (default: all); its per-epoch time is scaled to --n-train, "
        "exact because it pads every resume to max_length",
    )
    p.add_argument("--bf16", choices=("auto", "true", "false"), default="auto",
                   help="learner precision (auto: bf16 autocast on a GPU, fp32 on a CPU)")
    p.add_argument("--max-steps", type=int, default=None,
                   help="time only this many learner steps; per-epoch figures are extrapolated from them")
    p.add_argument("--no-warmup", action="store_true", help="skip the short warm-up fit before timing")
    p.add_argument("--progress", action="store_true")
    p.add_argument("--out", default="benchmarks/results/transformer_gpu.json")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    dev = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available() else
                       ("cpu" if args.device == "auto" else args.device))
    on_gpu = dev.type == "cuda"
    t_all = time.perf_counter()

    train, test, corpus = build_corpus(args.n_train, args.n_test, args.seed)
    print(f"[corpus] {corpus}: {len(train)} train, {len(test)} test, {train.n_classes} classes")

    # 1. matmul rate (bf16; the learner's own dtype is added below when that is not bf16)
    n = args.matmul_size or (8192 if on_gpu else 1024)
    secs = args.matmul_seconds or (3.0 if on_gpu else 1.0)
    rates = {"bf16": matmul_tflops(dev, torch.bfloat16, n, secs)}

    # 2. the learner
    learner_kw = dict(
        model_path=args.model_path, epochs=args.epochs, lr=args.lr, max_length=args.max_length,
        batch_size=args.batch_size, seed=args.seed, device=str(dev), threads=args.threads, progress=args.progress,
        bf16={"auto": "auto", "true": True, "false": False}[args.bf16], max_steps=args.max_steps,
    )
    state = pretrained_state(args.model_path)  # read from disk once, outside the timings
    if not args.no_warmup:
        # CUDA context, cuBLAS handles and allocator growth are one-off costs, not per-epoch ones.
        k = min(len(train), 4 * (args.batch_size or (128 if on_gpu else 32)))
        TransformerLearner(**{**learner_kw, "epochs": 1, "max_steps": None}).fit(train.subset(np.arange(k)))
    clear_token_cache()  # so that the timed fit pays the cold tokenization once, as a first round does
    if on_gpu:
        torch.cuda.reset_peak_memory_stats(dev)
    learner = TransformerLearner(**learner_kw)
    t = time.perf_counter()
    learner.fit(train)
    fit_wall = time.perf_counter() - t
    t = time.perf_counter()
    learner.token_ids(train)
    hot_tokenize = time.perf_counter() - t
    t = time.perf_counter()
    scores = learner.predict_scores(test)
    _sync(dev)
    predict_seconds = time.perf_counter() - t
    peak_mem = torch.cuda.max_memory_allocated(dev) if on_gpu else None
    train_dtype = "bf16" if learner.bf16_ else "fp32"
    if train_dtype not in rates:
        rates[train_dtype] = matmul_tflops(dev, torch.float32, n, secs)
    print(f"[matmul] {n}x{n}: " + ", ".join(f"{k} {v:.2f} TFLOP/s" for k, v in rates.items()))

    n_params = learner.n_parameters_
    emb_params = sum(m.weight.numel() for m in learner.model_.modules() if isinstance(m, torch.nn.Embedding))
    rate = rates[train_dtype] * 1e12
    tokens = learner.tokens_seen_
    floor = 6.0 * n_params * tokens / rate
    floor_ne = 6.0 * (n_params - emb_params) * tokens / rate
    secs_train = learner.train_seconds_
    steps_per_epoch = math.ceil(len(train) / learner.batch_size_)
    # With --max-steps only part of the run is timed: an epoch is that many steps at the same rate.
    secs_epoch = secs_train / learner.n_steps_ * steps_per_epoch if args.max_steps else secs_train / args.epochs
    result: dict[str, Any] = {
        "device": _device_name(dev),
        "device_type": dev.type,
        "versions": {"python": platform.python_version(), "torch": torch.__version__,
                     "transformers": __import__("transformers").__version__},
        "args": vars(args),
        "corpus": corpus,
        "model_path": state.path,
        "matmul": {"n": n, "tflops": rates, "floor_dtype": train_dtype},
        "learner": {
            "repr": repr(learner),
            "batch_size": learner.batch_size_,
            "bf16": learner.bf16_,
            "parameters": n_params,
            "embedding_parameters": emb_params,
            "epochs": args.epochs,
            "steps": learner.n_steps_,
            "train_seconds": secs_train,
            "seconds_per_epoch": secs_epoch,
            "seconds_per_epoch_extrapolated_from_steps": learner.n_steps_ if args.max_steps else None,
            "fit_wall_seconds": fit_wall,
            "setup_seconds": learner.setup_seconds_,
            "tokenize_cold_seconds": learner.tokenize_seconds_,
            "tokenize_hot_seconds": hot_tokenize,
            "tokens_seen": tokens,
            "padded_tokens_seen": learner.padded_tokens_seen_,
            "padding_overhead": learner.padded_tokens_seen_ / max(tokens, 1) - 1.0,
            "tokens_per_second": tokens / secs_train,
            "first_epoch_loss": learner.history_[0],
            "last_epoch_loss": learner.history_[-1],
            "predict_texts": len(test),
            "predict_seconds": predict_seconds,
            "predict_texts_per_second": len(test) / max(predict_seconds, 1e-9),
            "predict_score_range": [float(scores.min()), float(scores.max())] if scores.size else None,
            "peak_gpu_memory_bytes": peak_mem,
        },
        "floor": {
            "formula": "6 * parameters * real tokens / matmul rate",
            "seconds": floor,
            "ratio_measured_over_floor": secs_train / floor,
            "seconds_without_embeddings": floor_ne,
            "ratio_without_embeddings": secs_train / floor_ne,
        },
    }
    print(
        f"[learner] {secs_epoch:.2f} s/epoch, {tokens / secs_train:,.0f} tokens/s, "
        f"padding +{result['learner']['padding_overhead']:.1%}, floor {floor:.2f} s, "
        f"measured/floor {secs_train / floor:.1f} (without embeddings {secs_train / floor_ne:.1f})"
    )

    # 3. the naive baseline
    if args.baseline == "trainer":
        nb = min(args.baseline_n_train or len(train), len(train))
        base = trainer_baseline(train.subset(np.arange(nb)), args, state.path, dev)
        scale = len(train) / nb
        base["seconds_per_epoch_scaled_to_n_train"] = base["seconds_per_epoch"] * scale
        base["speedup_learner_over_baseline"] = base["seconds_per_epoch_scaled_to_n_train"] / secs_epoch
        # Floor of one epoch over all of --n-train (the learner's floor covers only the steps it timed).
        floor_epoch = floor * secs_epoch / secs_train
        base["ratio_baseline_over_floor"] = base["seconds_per_epoch_scaled_to_n_train"] / floor_epoch
        result["baseline"] = base
        print(
            f"[baseline] {base['kind']}: {base['seconds_per_epoch_scaled_to_n_train']:.2f} s/epoch "
            f"-> learner is {base['speedup_learner_over_baseline']:.1f}x faster"
        )
        # Length-grouped batches differ in length, so its epoch is not scaled: it runs on all of
        # --n-train (with --max-steps, that many steps, extrapolated as the learner's are).
        tuned = tuned_trainer_baseline(train, args, state.path, dev, learner.batch_size_, bool(learner.bf16_))
        tuned["speedup_learner_over_tuned"] = tuned["seconds_per_epoch"] / secs_epoch
        result["tuned_baseline"] = tuned
        print(
            f"[tuned baseline] {tuned['kind']}: {tuned['seconds_per_epoch']:.2f} s/epoch "
            f"-> learner is {tuned['speedup_learner_over_tuned']:.2f}x faster (the honest ratio)"
        )
    result["total_seconds"] = time.perf_counter() - t_all
    _write_json(Path(args.out), result)
    print(f"[out] {args.out}")
    return result


if __name__ == "__main__":
    main()
