"""Draw samples from a trained generator.

    python examples/sample.py runs/mnist/checkpoint.npz -n 1000 -o samples.npy
    python examples/sample.py runs/mnist/checkpoint.npz -n 100 -o samples.npy --grid samples.png
    python examples/sample.py runs/cgan/checkpoint.npz -n 100 --label 7 -o sevens.npy   # conditional GAN

Writes an (N, 784) float32 array of pixels in [0, 1] (np.load reads it; reshape a row to 28 × 28
for an image) and, with --grid, a picture of the samples ten to a row. Reads any checkpoint that
examples/mnist_gan.py writes; the noise is seeded (--seed), so the same command gives the same
samples. For a conditional GAN (--preset cgan) --label L asks for digit L; without it the
labels run 0, 1, …, 9, 0, 1, … .
"""
import numpy as np

from tinygan import backend, checkpoint, cli, files, images
from tinygan.presets import load_gan


def main(argv=None):
    parser = cli.ArgumentParser(__doc__)
    parser.add_argument("checkpoint")
    parser.add_argument("-n", type=cli.positive_int, default=100, help="how many samples (default 100)")
    parser.add_argument("-o", "--out", required=True, help="the .npy file to write")
    parser.add_argument("--grid", help="also write the samples as a PNG grid")
    parser.add_argument("--label", type=int, help="the class to draw, for a conditional GAN's checkpoint")
    parser.add_argument("--seed", type=int, default=0, help="seeds the noise (default 0)")
    parser.add_argument("--device", choices=backend.DEVICES, default="numpy")
    args = parser.parse_args(argv)
    for flag, path, suffix in (("-o", args.out, ".npy"), ("--grid", args.grid, ".png")):
        if path is not None and not path.endswith(suffix):
            cli.fail(f"{flag} {path}: expected a file name ending in {suffix}", cli.USAGE_ERROR)
    try:
        backend.get_xp(args.device)
        gan, config, _ = load_gan(args.checkpoint, args.device)
    except (RuntimeError, checkpoint.CheckpointError) as error:
        cli.fail(str(error))
    if args.label is not None and not 0 <= args.label < config.n_classes:
        cli.fail(f"--label {args.label}: " + (f"expected a class in 0…{config.n_classes - 1}" if config.n_classes
                 else f"{args.checkpoint} is not a conditional GAN"), cli.USAGE_ERROR)
    labels = None
    if config.n_classes:
        labels = np.full(args.n, args.label) if args.label is not None else np.arange(args.n) % config.n_classes
        labels = backend.to_device(labels, args.device)
    gan.set_rng(backend.default_rng(args.seed, args.device))
    samples = backend.to_host(gan.generate(gan.sample_noise(args.n), labels, train=False))
    with files.atomic_write(args.out) as f:
        np.save(f, samples.astype(np.float32))
    print(f"wrote {args.out}: {samples.shape} {samples.dtype}, pixels in [{samples.min():.3f}, {samples.max():.3f}]")
    if args.grid:
        images.save_grid(samples, args.grid)
        print(f"wrote {args.grid}")


if __name__ == "__main__":
    main()
