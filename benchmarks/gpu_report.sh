#!/usr/bin/env bash
# The GPU rows of docs/performance.md in one run, on a machine with CUDA, CuPy and PyTorch:
# the whole test suite with CuPy as a device, tinygan beside PyTorch at batch 100 (launch-bound)
# and 10,000 (matrix-bound), both again replaying a captured CUDA graph at batch 100 and in TF32
# at 10,000, the Parzen protocol, and three epochs of examples/mnist_gan.py --cuda-graph.
# A few minutes on an H100-class GPU.
#
#     benchmarks/gpu_report.sh OUTDIR   # writes OUTDIR/{gpu,pytest,train}.txt and compare_*.json, parzen.json
set -uo pipefail
out=${1:?usage: benchmarks/gpu_report.sh OUTDIR}
mkdir -p "$out"
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  python3 -c "import cupy, numpy, torch; print('cupy', cupy.__version__, 'numpy', numpy.__version__, 'torch', torch.__version__)"
} > "$out/gpu.txt" 2>&1
python3 -m pytest -q -rs -p no:cacheprovider tests > "$out/pytest.txt" 2>&1
tail -n 1 "$out/pytest.txt"
for batch in 100 10000; do
    python3 benchmarks/compare.py --device cupy --batch-size "$batch" --rounds 5 --json > "$out/compare_$batch.json"
done
python3 benchmarks/compare.py --device cupy --cuda-graph --rounds 5 --json > "$out/compare_100_graph.json" 2>&1
python3 benchmarks/compare.py --device cupy --batch-size 10000 --tf32 --rounds 3 --json > "$out/compare_10000_tf32.json" 2>&1
python3 benchmarks/parzen.py --device cupy --json > "$out/parzen.json"
run=$(mktemp -d)          # three epochs of real training through the CUDA graph: the loop's speed
python3 examples/mnist_gan.py --device cupy --cuda-graph --epochs 3 --out "$run" --overwrite > "$out/train.txt" 2>&1
tail -n 1 "$out/train.txt"
cat "$out"/*.json
