"""Draw samples from a trained generator.

    python examples/sample.py runs/mnist/checkpoint.npz -n 1000 -o samples.npy
    python examples/sample.py runs/mnist/checkpoint.npz -n 100 -o samples.npy --grid samples.png
    python examples/sample.py runs/cgan/checkpoint.npz -n 100 --label 7 -o sevens.npy   # conditional GAN
    python examples/sample.py pretrained/mnist_generator.npz --nearest figure2.png       # the paper's Figure 2

Writes an (N, H·W·C) float32 array of pixels in [0, 1] (np.load reads it; for MNIST a row of 784
is a 28 × 28 image); with --grid, a picture of the samples ten to a row; with --nearest, the first 30
samples each beside its nearest training image in L2 (the paper's Figure 2: a model that copied
its training set would show identical pairs). Reads any checkpoint or generator file that
tinygan writes; the noise is seeded (--seed), so the same command gives the same samples. For a
conditional GAN (--preset cgan) --label L asks for digit L; without it the labels run 0, 1, …,
9, 0, 1, … .
"""
import numpy as np

from tinygan import backend, checkpoint, cli, data, files, images

def parse_args(argv=None):
    parser = cli.ArgumentParser(__doc__)
    parser.add_argument("checkpoint")
    parser.add_argument("-n", type=cli.positive_int, default=100, help="how many samples (default 100)")
    parser.add_argument("-o", "--out", type=cli.output_file, help="the .npy file to write")
    parser.add_argument("--grid", type=cli.output_file, help="write the samples as a PNG grid")
    parser.add_argument("--nearest", type=cli.output_file, help=f"write the first {images.N_NEAREST} samples beside their nearest training "
                        "images as a PNG (Figure 2)")
    parser.add_argument("--data", default=data.SHIPPED_MNIST,
                        help="the training data --nearest searches: the run's --data (default: the shipped MNIST)")
    parser.add_argument("--label", type=int, help="the class to draw, for a conditional GAN's checkpoint")
    parser.add_argument("--seed", type=cli.seed, default=0, help="seeds the noise (default 0)")
    parser.add_argument("--device", choices=backend.DEVICES, default="numpy")
    args = parser.parse_args(argv)
    outputs = (("-o", args.out, ".npy"), ("--grid", args.grid, ".png"), ("--nearest", args.nearest, ".png"))
    if all(path is None for _, path, _ in outputs):
        cli.fail("nothing to write: expected -o FILE.npy, --grid FILE.png or --nearest FILE.png", cli.USAGE_ERROR)
    for flag, path, suffix in outputs:
        if path is not None and not path.endswith(suffix):
            cli.fail(f"{flag} {path}: expected a file name ending in {suffix}", cli.USAGE_ERROR)
    return args


def main(argv=None):
    args = parse_args(argv)
    try:
        backend.get_xp(args.device)
        gan, config, meta = checkpoint.load_gan(args.checkpoint, args.device)
        train_images = nearest_pool(args, meta) if args.nearest else None
    except (RuntimeError, checkpoint.CheckpointError, data.DataError) as error:
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
    if args.out:
        with files.atomic_write(args.out) as f:
            np.save(f, samples.astype(np.float32))
        print(f"wrote {args.out}: {samples.shape} {samples.dtype}, pixels in [{samples.min():.3f}, {samples.max():.3f}]")
    if args.grid:
        images.save_grid(samples, args.grid, image_shape=gan.image_shape)
        print(f"wrote {args.grid}")
    if args.nearest:
        images.save_nearest(samples, train_images, args.nearest, image_shape=gan.image_shape)
        print(f"wrote {args.nearest}")


def nearest_pool(args, meta):
    """The training images (uint8 rows (N, H·W·C)) of --data, refused if the generator in the
    file whose metadata is ``meta`` was trained on other images."""
    shape = meta.get("data", {}).get("image_shape") or [*data.IMAGE_SHAPE, 1]   # (older files: MNIST's)
    train_images = data.load(args.data, shape[2], shape[0]).splits["train"][0]
    checkpoint.check_trained_on(args.checkpoint, meta, args.data, data.fingerprint(train_images))
    return train_images


if __name__ == "__main__":
    main()
