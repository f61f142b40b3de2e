"""The paper's Figure 3: walks in z space by linear interpolation.

    python examples/interpolate.py runs/mnist/checkpoint.npz

Each row runs from one z to another in equal steps; smooth changes of the digit along a row
mean G has learned a continuous map, not a lookup of memorised images. Writes
runs/interpolation.png (or --out).
"""
import os

import numpy as np

from tinygan import backend, checkpoint, cli, images
from tinygan.gan import draw_noise


def interpolate(z_start, z_end, steps):
    """(steps, noise_dim): z_start + t·(z_end − z_start) for t = 0 … 1."""
    t = np.linspace(0, 1, steps, dtype=np.float32)[:, None]
    return z_start + t * (z_end - z_start)


def main(argv=None):
    parser = cli.ArgumentParser(__doc__)
    parser.add_argument("checkpoint")
    parser.add_argument("--rows", type=cli.positive_int, default=8, help="pairs of z (default 8)")
    parser.add_argument("--steps", type=cli.positive_int, default=10, help="images per row (default 10)")
    parser.add_argument("--seed", type=cli.seed, default=0)
    parser.add_argument("--out", type=cli.output_file, default=os.path.join("runs", "interpolation.png"),
                        help="output PNG (default runs/interpolation.png)")
    args = parser.parse_args(argv)
    try:
        gan, config, _ = checkpoint.load_gan(args.checkpoint)
    except checkpoint.CheckpointError as error:
        cli.fail(str(error))
    if config.n_classes:
        cli.fail(f"{args.checkpoint}: a conditional GAN ({config.n_classes} classes); interpolate.py walks the z "
                 "of an unconditional one")
    ends = draw_noise(np.random.default_rng(args.seed), 2 * args.rows, config.noise_dim, config.noise_range,
                      config.noise_prior)
    ends = ends.reshape(args.rows, 2, config.noise_dim)
    z = np.concatenate([interpolate(a, b, args.steps) for a, b in ends])
    images.save_grid(backend.to_host(gan.G.forward(z, train=False)), args.out, cols=args.steps, image_shape=gan.image_shape)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
