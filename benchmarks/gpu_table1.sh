#!/usr/bin/env bash
# Table 1 on a GPU: the released code (paper preset, simultaneous updates, Gaussian z) trained for
# EPOCHS epochs through the CUDA graph, every 10th checkpoint kept, the generators of the run's
# second half averaged (docs/results.md, "Averaging the checkpoints") and the mean scored once on
# the test set. On the CPU 830 epochs gave 229.3 ± 1.3 over three seeds (the shipped 230.8).
#
#     benchmarks/gpu_table1.sh OUTDIR [EPOCHS=830] [SEED=0]
#     DEVICE=numpy KEEP_EVERY=1 benchmarks/gpu_table1.sh /tmp/t1 3     # the same steps, on the CPU, small
#
# Writes OUTDIR/train.txt (the run's log, its wall time last), metrics.csv, parzen.txt and
# generator.npz (the mean, with its figure; ~10 MB).
set -euo pipefail
out=${1:?usage: benchmarks/gpu_table1.sh OUTDIR [EPOCHS] [SEED]}
epochs=${2:-830} seed=${3:-0} device=${DEVICE:-cupy} every=${KEEP_EVERY:-10}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
run=$(mktemp -d)/run
graph=$([ "$device" = cupy ] && echo --cuda-graph || true)
start=$(date +%s)
python3 examples/mnist_gan.py --preset paper --update simultaneous --set noise_prior=gaussian --seed "$seed" \
    --device "$device" $graph --epochs "$epochs" --keep-every "$every" --log-every 500 --out "$run" > "$out/train.txt" 2>&1 \
    || { tail -n 5 "$out/train.txt"; exit 1; }
echo "wall time of the run: $(( $(date +%s) - start )) s" >> "$out/train.txt"
tail -n 1 "$out/train.txt"
first=$(( (epochs / 2 / every + 1) * every ))            # the first kept epoch after E/2
python3 examples/export_generator.py $(seq -f "$run/checkpoint_epoch_%03g.npz" "$first" "$every" "$epochs") \
    -o "$run/average.npz"
python3 examples/parzen_eval.py "$run/average.npz" --device "$device" | tee "$out/parzen.txt"
python3 examples/export_generator.py "$run/average.npz" -o "$out/generator.npz"
cp "$run/metrics.csv" "$out/"
