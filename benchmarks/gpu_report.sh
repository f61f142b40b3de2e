#!/usr/bin/env bash
# The GPU figures of docs/performance.md in one run on a machine with CUDA, CuPy and PyTorch, in a
# few minutes: the whole test suite with CuPy as a device; tinygan beside PyTorch (alternating
# rounds) at batch 100 eager and replaying a CUDA graph, at 10,000 in float32 and TF32, and the
# dcgan preset's iteration; the kernel profile of the first two; the Parzen protocol's time; three
# epochs of examples/mnist_gan.py --cuda-graph; and, with EPOCHS set, Table 1's schedule for that
# many epochs (benchmarks/gpu_table1.sh; 830 is the whole schedule).
#
#     benchmarks/gpu_report.sh OUTDIR
#     EPOCHS=830 TESTS=none benchmarks/gpu_report.sh OUTDIR     # Table 1 too; no tests
#     TESTS=cupy ROUNDS=2 benchmarks/gpu_report.sh OUTDIR       # only the tests that run on CuPy
#
# Writes OUTDIR/gpu.txt (the machine), pytest.txt, compare.jsonl and kernels.jsonl (one JSON line
# a configuration), parzen.json, train.txt, and with EPOCHS table1.txt.
set -uo pipefail
out=${1:?usage: benchmarks/gpu_report.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
step() { echo "== $(date +%T) $*" | tee -a "$out/gpu.txt"; }
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  python3 -c "import cupy, numpy, torch; print('cupy', cupy.__version__, 'numpy', numpy.__version__, 'torch', torch.__version__)"
} >> "$out/gpu.txt" 2>&1
tests=${TESTS:-all}
if [ "$tests" != none ]; then
    step "pytest ($tests)"
    workers=$(python3 -c "import xdist" 2>/dev/null && echo "-n 12")
    selection=$([ "$tests" = all ] || echo "-k $tests")
    timeout 240 python3 -m pytest -q -rs -p no:cacheprovider $workers $selection tests > "$out/pytest.txt" 2>&1
    tail -n 1 "$out/pytest.txt"
fi
configurations=("--batch-size 100 --cuda-graph" "--batch-size 10000" "--batch-size 100" "--batch-size 10000 --tf32"
                "--preset dcgan --batch-size 64")
for flags in "${configurations[@]}"; do
    step "compare $flags"
    python3 benchmarks/compare.py --device cupy $flags --rounds "${ROUNDS:-3}" --json >> "$out/compare.jsonl" 2>&1
    tail -n 1 "$out/compare.jsonl" | cut -c1-400
done
for flags in "${configurations[@]:0:2}"; do
    step "kernels $flags"
    python3 benchmarks/kernels.py $flags --top 14 --json >> "$out/kernels.jsonl" 2>> "$out/gpu.txt"
done
step "parzen"
python3 benchmarks/parzen.py --device cupy --json > "$out/parzen.json" 2>&1
step "three epochs of mnist_gan.py --cuda-graph"
run=$(mktemp -d)/run
python3 examples/mnist_gan.py --device cupy --cuda-graph --epochs 3 --out "$run" > "$out/train.txt" 2>&1
tail -n 1 "$out/train.txt"
if [ -n "${EPOCHS:-}" ]; then
    step "Table 1, $EPOCHS epochs"
    benchmarks/gpu_table1.sh "$out/table1" "$EPOCHS" > "$out/table1.txt" 2>&1
    cat "$out/table1/train.txt" | grep -E "^epoch .* iter .*0000/|wall time" | tail -n 5 >> "$out/table1.txt"
    rm -f "$out/table1/generator.npz"
    mv "$out/table1/metrics.csv" "$out/table1_metrics.csv" 2>/dev/null
    rm -rf "$out/table1"
    cat "$out/table1.txt"
fi
step "done"
