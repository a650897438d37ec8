"""The pretrained checkpoint of the transformer firms, read once and offline.

:func:`pretrained_state` loads a local Hugging Face checkpoint with ``local_files_only=True``
(no hub is ever contacted) and keeps its encoder weights on the CPU, so that a firm that
restarts from them every round pays a memory copy, not a read from disk;
:func:`quiet_transformers` silences the load report of a fresh task head.
"""

from __future__ import annotations

import copy
import warnings
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

import torch

from acsim.platform.text import resolve_model_path


@contextmanager
def quiet_transformers() -> Iterator[None]:
    """Silence the load report ("classifier.* newly initialized") and progress bars.

    The fresh classification head is intended, so the report is noise; the previous
    verbosity is restored so that a caller's logging setup is left as it was.
    """
    from transformers.utils import logging as hf_logging

    level = hf_logging.get_verbosity()
    bar = hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        hf_logging.set_verbosity(level)
        if bar:
            hf_logging.enable_progress_bar()


@dataclass(frozen=True)
class PretrainedState:
    """A checkpoint read once: its config and its encoder weights (fp32, on the CPU)."""

    path: str
    config: Any
    state_dict: dict[str, torch.Tensor]
    head_keys: frozenset[str]

    @property
    def n_parameters(self) -> int:
        return sum(v.numel() for v in self.state_dict.values())


_PRETRAINED: OrderedDict[str, PretrainedState] = OrderedDict()
_PRETRAINED_MAX = 2  # distilbert is ~265 MB in fp32; two checkpoints are plenty


def pretrained_state(model_path: str | None = None) -> PretrainedState:
    """The pretrained encoder of ``model_path`` (default: the packaged MiniLM), read once.

    Loaded with ``local_files_only=True`` so that no hub is ever contacted. The weights of
    the task head the checkpoint lacks are dropped: every fit draws its own head from its
    seed.
    """
    path = str(resolve_model_path(model_path))
    hit = _PRETRAINED.get(path)
    if hit is not None:
        _PRETRAINED.move_to_end(path)
        return hit
    from transformers import AutoModelForSequenceClassification

    with quiet_transformers():
        model, info = AutoModelForSequenceClassification.from_pretrained(
            path, num_labels=1, local_files_only=True, output_loading_info=True
        )
    head = frozenset(info.get("missing_keys", ()))
    sd = {k: v.detach().to(torch.float32).clone() for k, v in model.state_dict().items() if k not in head}
    config = model.config
    del model
    state = PretrainedState(path, config, sd, head)
    _PRETRAINED[path] = state
    while len(_PRETRAINED) > _PRETRAINED_MAX:
        _PRETRAINED.popitem(last=False)
    return state


def clear_pretrained_cache() -> None:
    """Forget the in-memory pretrained weights (the next fit reads them from disk again)."""
    _PRETRAINED.clear()


def build_classifier(state: PretrainedState, label_names: tuple[str, ...]) -> Any:
    """A multi-label classifier with the pretrained encoder of ``state`` and a fresh head (drawn from torch's RNG)."""
    from transformers import AutoModelForSequenceClassification

    config = copy.deepcopy(state.config)
    config.num_labels = len(label_names)
    config.problem_type = "multi_label_classification"
    config.id2label = {i: str(n) for i, n in enumerate(label_names)}
    config.label2id = {str(n): i for i, n in enumerate(label_names)}
    with quiet_transformers():
        model = AutoModelForSequenceClassification.from_config(config)
    missing, unexpected = model.load_state_dict(state.state_dict, strict=False)
    if unexpected or not set(missing) <= set(state.head_keys) | {k for k in missing if "position_ids" in k}:
        raise RuntimeError(
            f"{state.path}: checkpoint does not fit its own architecture "
            f"(missing {sorted(missing)[:5]}, unexpected {sorted(unexpected)[:5]})"
        )
    return model
