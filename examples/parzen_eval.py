"""The paper's Table 1 measurement: Parzen-window log-likelihood of the MNIST test set.

    python examples/parzen_eval.py runs/mnist/checkpoint.npz

Protocol (as the paper's code, parzen_ll.py): fit a Gaussian Parzen window on 10,000 samples
of G; choose σ from logspace(−1, 0, 10) by the mean log-likelihood of the first 1,000
validation images (train[50000:60000]); report the mean log-likelihood of the 10,000 test
images ± its standard error (std/√N). Prints σ, the figure and the time, and writes them as JSON.

Caveats (Theis, van den Oord & Bethge, 2016, "A note on the evaluation of generative models"):
in 784 dimensions a Parzen estimate from 10,000 samples is far from the model's true
log-likelihood, and it ranks models unreliably — a model that memorises training images, or even
k-means centroids, can score well while producing poor samples. Read the number as the paper's
yardstick, beside the samples, not as a likelihood.
"""
import json
import os
import time

from tinygan import backend, checkpoint, cli, data, files, metrics
from tinygan.presets import load_gan


def parse_args(argv=None):
    parser = cli.ArgumentParser(__doc__)
    parser.add_argument("checkpoint", help="a checkpoint written by examples/mnist_gan.py")
    parser.add_argument("--data", default=data.SHIPPED_MNIST, help="the MNIST folder (default: the shipped one)")
    parser.add_argument("--n-samples", type=cli.positive_int, default=10000, help="generator samples (the paper: 10,000)")
    parser.add_argument("--seed", type=int, default=0, help="seeds the noise of the samples")
    parser.add_argument("--device", choices=backend.DEVICES, default="numpy")
    parser.add_argument("--json", help="where to write the result (default: CHECKPOINT with .parzen.json "
                        "for .npz, e.g. checkpoint.parzen.json)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    path = args.json or os.path.splitext(args.checkpoint)[0] + ".parzen.json"
    if not os.path.isdir(os.path.dirname(os.path.abspath(path))):
        cli.fail(f"--json {path}: its folder does not exist", cli.USAGE_ERROR)
    try:
        backend.get_xp(args.device)
        splits = data.load_mnist(args.data)
        gan, _, meta = load_gan(args.checkpoint, args.device)
    except (RuntimeError, data.DataError, checkpoint.CheckpointError) as error:
        cli.fail(str(error))
    trained_on = meta.get("data", {}).get("fingerprint")
    if trained_on != data.fingerprint(splits["train"][0]):
        cli.fail(f"{args.checkpoint} was trained on {meta.get('data', {}).get('folder')}, not on the images "
                 f"in --data {args.data}: pass the run's --data")
    gan.set_rng(backend.default_rng(args.seed, args.device))
    samples = gan.G.forward(gan.sample_noise(args.n_samples), train=False)
    valid, test = (backend.to_device(data.to_unit_float(splits[s][0]), args.device) for s in ("valid", "test"))
    start = time.perf_counter()
    result = metrics.parzen_protocol(samples, valid, test)
    result.update(seconds=round(time.perf_counter() - start, 3), checkpoint=args.checkpoint,
                  epoch=meta["epoch"], iteration=meta["iteration"], n_samples=args.n_samples,
                  device=args.device)
    print(f"sigma = {result['sigma']:.4f}")
    print(f"Parzen log-likelihood of the MNIST test set = {result['log_likelihood']:.2f} "
          f"± {result['standard_error']:.2f}  (epoch {meta['epoch']}, {result['seconds']:.2f} s)")
    with files.atomic_write(path, "w") as f:
        json.dump(result, f, indent=2)
    print(f"wrote {path}")
    return result


if __name__ == "__main__":
    main()
