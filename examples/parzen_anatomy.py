"""What the Parzen figure of Table 1 measures: the distance from a digit to its nearest sample.

    python examples/parzen_anatomy.py runs/table1/checkpoint_epoch_360.npz

Under a Gaussian window of width σ on N samples, a digit x (d pixels) scores

    log p̂(x) = log Σⱼ exp(−‖x − sⱼ‖² / 2σ²) − log N − (d/2)·log(2πσ²)
             ≥ C − d_min² / 2σ²,     C = −(d/2)·log(2πσ²) − log N,

with d_min the distance to its nearest sample; the sum adds at most log N to that bound. For
10,000 real training images and for 10,000 samples of the generator, this prints the protocol's
σ, the mean d_min² of the validation digits train[51000:60000], the bound, and their mean
log-likelihood; then the samples' score with their faint pixels set to 0 (does haze cost
nats?). Validation images only: the test set is never read.
"""
import numpy as np

from tinygan import backend, checkpoint, cli, data, metrics

N_VALID_SIGMA = 1000                # train[50000:51000] chooses σ, as in the protocol
FAINT = (0.02, 0.05, 0.1)           # pixel thresholds for the haze test


def anatomy(pool, valid):
    """For the Parzen window on pool (N, d): σ chosen on valid[:1000], and for valid[1000:] the
    mean nearest squared distance, the bound C − mean d_min²/2σ² and the mean log-likelihood.
    Returns a dict of Python floats."""
    sigma, score = metrics.parzen_validation_score(pool, valid, n_valid=N_VALID_SIGMA)
    _, squared = metrics.nearest_rows(valid[N_VALID_SIGMA:], pool)
    mean_squared = float(squared.mean())
    n, d = pool.shape
    constant = -0.5 * d * np.log(2 * np.pi * sigma ** 2) - np.log(n)
    return {"sigma": sigma, "mean_nearest_squared": mean_squared,
            "bound": float(constant - mean_squared / (2 * sigma ** 2)), "log_likelihood": score}


def main(argv=None):
    parser = cli.ArgumentParser(__doc__)
    parser.add_argument("checkpoint")
    parser.add_argument("--n-samples", type=cli.positive_int, default=10000, help="samples and real images (default 10,000)")
    parser.add_argument("--seed", type=cli.seed, default=0, help="seeds the noise of the samples")
    args = parser.parse_args(argv)
    try:
        splits = data.load_mnist()
        gan, _, _ = checkpoint.load_gan(args.checkpoint)
    except (data.DataError, checkpoint.CheckpointError) as error:
        cli.fail(str(error))
    gan.set_rng(backend.default_rng(args.seed, "numpy"))
    samples = gan.G.forward(gan.sample_noise(args.n_samples), train=False)
    valid = data.to_unit_float(splits["valid"][0])
    pools = {f"{args.n_samples:,} training images": data.to_unit_float(splits["train"][0][:args.n_samples]),
             f"{args.n_samples:,} samples": samples}
    pools.update({f"  pixels < {t} set to 0": np.where(samples < t, 0, samples).astype(samples.dtype) for t in FAINT})
    print(f"{'window on':28s} {'sigma':>7s} {'mean d_min²':>12s} {'bound':>8s} {'log-likelihood':>15s} {'the sum adds':>13s}")
    results = {}
    for name, pool in pools.items():
        results[name] = row = anatomy(pool, valid)
        print(f"{name:28s} {row['sigma']:7.4f} {row['mean_nearest_squared']:12.2f} {row['bound']:8.1f} "
              f"{row['log_likelihood']:15.1f} {row['log_likelihood'] - row['bound']:13.2f}", flush=True)
    return results


if __name__ == "__main__":
    main()
