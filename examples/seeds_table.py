"""Summarise runs of examples/mnist_gan.py as one table row each: did the run collapse, and
what does tinygan's MNIST classifier see in 10,000 samples of its kept checkpoints.

    python examples/mnist_gan.py --seed 3 --epochs 30 --keep-every 10 --out runs/study/default/seed3
    python examples/seeds_table.py runs/study/default/seed*

A run counts as collapsed when the epoch mean of D(G(z)) falls under 0.01 after epoch 2.
For each kept checkpoint_epoch_NNN.npz it reports classes covered, the largest class's share
and the Fréchet distance (``metrics.sample_quality``) on 10,000 samples of fixed noise.
"""
import csv
import glob
import os

import numpy as np

from tinygan import checkpoint, classifier, cli, data, files, metrics
from tinygan.gan import draw_noise

N_SAMPLES, AFTER_EPOCH, COLLAPSED_BELOW = 10000, 2, 0.01


def collapsed(folder):
    with open(os.path.join(folder, "metrics.csv"), newline="") as f:
        later = [float(row["mean_D_G_z"]) for row in csv.DictReader(f) if int(row["epoch"]) > AFTER_EPOCH]
    return bool(later) and min(later) < COLLAPSED_BELOW


def quality(path, model, reference):
    gan, config, meta = checkpoint.load_gan(path)
    z = draw_noise(np.random.default_rng(12345), N_SAMPLES, config.noise_dim, config.noise_range, config.noise_prior)
    labels = np.arange(N_SAMPLES) % config.n_classes if config.n_classes else None
    return meta["epoch"], metrics.sample_quality(gan.generate(z, labels, train=False), model, reference)


def main(argv=None):
    parser = cli.ArgumentParser(__doc__)
    parser.add_argument("runs", nargs="+", help="run folders (each with metrics.csv and kept checkpoints)")
    args = parser.parse_args(argv)
    model, _ = classifier.load()
    test = data.to_unit_float(data.load_mnist()["test"][0])
    reference = metrics.gaussian_statistics(model.classify(test)[0])
    print("| run | collapsed | epoch: classes, largest share, Fréchet distance |")
    print("| --- | --- | --- |")
    for folder in args.runs:
        try:
            kept = [quality(path, model, reference)
                    for path in files.numbered(glob.glob(os.path.join(folder, "checkpoint_epoch_*.npz")))]
            verdict = "yes" if collapsed(folder) else "no"
        except (OSError, KeyError, checkpoint.CheckpointError) as error:
            cli.fail(f"{folder}: not a finished run with metrics.csv and kept checkpoints ({error})")
        cells = "; ".join(f"{epoch}: {q['classes']}, {q['top_share']:.2f}, {q['frechet']:.1f}" for epoch, q in kept)
        print(f"| {folder} | {verdict} | {cells} |")


if __name__ == "__main__":
    main()
