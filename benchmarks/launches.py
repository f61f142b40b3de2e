"""Count the GPU kernel launches of one training iteration, on any machine.

At batch 100 a GPU spends an iteration launching kernels, one per array operation, not
computing. This runs the backend's device path through the strict stand-in for CuPy
(``tests/strict_xp.py``), which counts each operation that would be a launch (a ufunc, a
matrix product, a reduction, a random draw, a fused kernel), and prints the count per preset
with the most frequent operations, and the count of an iteration replayed from a CUDA graph
(``replayed``: the graph and the launches that feed it).

    python benchmarks/launches.py --json
"""
import os
import sys
from dataclasses import replace

import numpy as np
import pytest

from common import report

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
import strict_xp  # noqa: E402

from tinygan import backend, cli  # noqa: E402
from tinygan.graph import CapturedIteration  # noqa: E402
from tinygan.models import build_gan  # noqa: E402
from tinygan.presets import PRESETS  # noqa: E402

RUNS = {"default": {}, "paper": {}, "paper-simultaneous": {"update": "simultaneous"},
        "wgan": {}, "cgan": {}}


def launches_per_iteration(preset, overrides, batch_size, captured=False):
    """{operation name: launches} of an iteration after the first (which creates the optimisers'
    state), eager or, with captured=True, replayed from a CUDA graph (tinygan.graph)."""
    config = replace(PRESETS[preset], batch_size=batch_size, **overrides)
    gan = build_gan(config, np.full(784, 0.2), "cupy")
    iterate = CapturedIteration(gan) if captured else gan.train_iteration
    batch = backend.to_device(np.random.default_rng(0).random((batch_size, 784), dtype=np.float32), "cupy")
    labels = backend.to_device(np.arange(batch_size) % 10, "cupy")

    def batches():
        while True:
            yield (batch, labels) if config.n_classes else batch
    real = batches()
    for _ in range(3 if captured else 1):      # a CapturedIteration records its third call
        iterate(real)
    strict_xp.LAUNCHES.clear()
    iterate(real)
    return dict(strict_xp.LAUNCHES)


def main(argv=None):
    parser = cli.ArgumentParser(__doc__)
    parser.add_argument("--batch-size", type=cli.positive_int, default=100)
    parser.add_argument("--top", type=cli.positive_int, default=6, help="operations listed per run")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with pytest.MonkeyPatch.context() as monkeypatch:
        strict_xp.install(monkeypatch)
        result = {"benchmark": "launches", "batch": args.batch_size}
        for run, overrides in RUNS.items():
            counts = launches_per_iteration(run.split("-")[0], overrides, args.batch_size)
            top = sorted(counts.items(), key=lambda item: -item[1])[:args.top]
            replayed = launches_per_iteration(run.split("-")[0], overrides, args.batch_size, captured=True)
            result[run] = {"launches": sum(counts.values()), "k": PRESETS[run.split("-")[0]].k,
                           "most": dict(top), "replayed": sum(replayed.values())}
    report(result, args.json)
    return result


if __name__ == "__main__":
    main()
