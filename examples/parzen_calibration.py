"""Calibrate Table 1's yardstick: the paper's Parzen protocol applied to things that are not a
generator's samples (Theis, van den Oord & Bethge, 2016).

    python examples/parzen_calibration.py          # ~5 minutes on a 2-core CPU

  real         10,000 real training images in place of samples: how high a perfect sampler of
               the training distribution scores (the protocol's ceiling, about 241)
  k-means      10,000 k-means centroids of the 50,000 training images (20 Lloyd iterations):
               blurred averages that no one would call good samples — Theis et al. found that
               they beat real data

Each row uses the paper's σ grid, the first 1,000 validation images to choose σ and the 10,000
test images to score. Writes the rows to --json (default runs/parzen_calibration.json).
"""
import json
import os
import time

import numpy as np

from tinygan import cli, data, files, metrics

N_SAMPLES, KMEANS_ITERATIONS = 10000, 20


def main(argv=None):
    parser = cli.ArgumentParser(__doc__)
    parser.add_argument("--data", default=data.SHIPPED_MNIST)
    parser.add_argument("--seed", type=cli.seed, default=0, help="seeds the choice of images and the k-means start")
    parser.add_argument("--n-samples", type=cli.positive_int, default=N_SAMPLES, help="images or centroids (the paper: 10,000)")
    parser.add_argument("--iterations", type=cli.positive_int, default=KMEANS_ITERATIONS, help="k-means iterations")
    parser.add_argument("--json", type=cli.output_file, default=os.path.join("runs", "parzen_calibration.json"))
    args = parser.parse_args(argv)
    try:
        splits = data.load_mnist(args.data)
    except data.DataError as error:
        cli.fail(str(error))
    train, valid, test = (data.to_unit_float(splits[name][0]) for name in ("train", "valid", "test"))
    rng = np.random.default_rng(args.seed)
    rows = {}
    for name, make in (("real", lambda: train[rng.choice(len(train), args.n_samples, replace=False)]),
                       ("k-means", lambda: metrics.kmeans(train, args.n_samples, args.iterations, rng))):
        start = time.perf_counter()
        rows[name] = {**metrics.parzen_protocol(make(), valid, test), "seconds": round(time.perf_counter() - start, 1)}
        print(f"{name:>8}: {rows[name]['log_likelihood']:.1f} ± {rows[name]['standard_error']:.1f} "
              f"(σ = {rows[name]['sigma']:.3f}, {rows[name]['seconds']} s)", flush=True)
    with files.atomic_write(args.json, "w") as f:
        json.dump(rows, f, indent=2)
    print(f"wrote {args.json}")
    return rows


if __name__ == "__main__":
    main()
