#!/usr/bin/env bash
# The GPU checks a session runs first when it is lent a GPU machine, as one command.
#
# Here:   python benchmarks/gpu_kit.py build            # .gpukit: wheels + MiniLM in bf16 (~47 MiB)
# There:  device run, carry [".gpukit"], timeout_s 600:
#         bash benchmarks/gpu_session.sh
#
# 1. the transformer benchmark at the paper's size (25,000 resumes x 256 tokens, one epoch;
#    the Trainer baselines on 5,000 resumes, scaled), into $OUT/transformer_gpu.json;
# 2. Figure 2 with the paper's transformer firm (--variant gpu) on 8 of its 20 sizes and one
#    seed (the whole variant, 60 runs, does not fit a 15-minute lease), its summary, manifest
#    and figure into $OUT.
# Each step has its own deadline (BENCH_S, FIG_S seconds) so that the first one's results come
# back even if the second runs out of time; everything printed is in $OUT/log.
# BENCH_ARGS / FIG_SET replace the sizes (a CPU smoke run: see benchmarks/README.md).
set -uo pipefail
OUT=${OUT:-/tmp/acsim-gpu-out}
mkdir -p "$OUT"
exec > >(tee "$OUT/log") 2>&1
cd "$(dirname "$0")/.."
SITE=/tmp/acsim-site
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 MPLBACKEND=Agg
python3 -c "import mesa, pydantic" 2>/dev/null || python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \
    --upgrade --target "$SITE" .gpukit/whl/*.whl || { echo "gpu_session: cannot install .gpukit/whl (run gpu_kit.py build here and carry .gpukit)"; exit 1; }
python3 benchmarks/gpu_kit.py unpack --site "$SITE" --model /tmp/acsim-minilm || exit 1
export PYTHONPATH="$SITE:$PWD${PYTHONPATH:+:$PYTHONPATH}"
(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv; python3 -c "import torch, transformers; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), 'transformers', transformers.__version__)") || true

read -r -a bench <<< "${BENCH_ARGS:---n-train 25000 --max-length 256 --epochs 1 --baseline-n-train 5000}"
echo "== transformer benchmark: ${bench[*]}"
timeout "${BENCH_S:-300}" python3 benchmarks/transformer_gpu.py "${bench[@]}" --out "$OUT/transformer_gpu.json"
echo "== benchmark exit $?"

read -r -a figset <<< "${FIG_SET:---set seeds=1 --set experiment.sizes=8}"
echo "== paper_fig2 --variant gpu ${figset[*]}"
rm -rf /tmp/acsim-fig2
timeout "${FIG_S:-300}" python3 -m acsim run paper_fig2 --variant gpu "${figset[@]}" --out /tmp/acsim-fig2 --no-progress
echo "== paper_fig2 exit $?"
cp /tmp/acsim-fig2/summary.csv /tmp/acsim-fig2/fits.csv /tmp/acsim-fig2/manifest.json "$OUT/" 2>/dev/null
cp /tmp/acsim-fig2/*.png "$OUT/" 2>/dev/null
ls -la "$OUT"
