"""The paper's Figure 1 on a real 1-D GAN: the data density (black, dotted), the generator's
density (green, solid) and the discriminator D(x) (blue, dashed) as training goes on.

    python examples/toy_1d.py                 # writes runs/figure1.png

Early on D separates the two densities; as G's density moves onto the data's, D flattens
towards ½ everywhere — the paper's global optimum, where D*(x) = p_data / (p_data + p_g) = ½.
"""
import numpy as np

from tinygan import cli, images
from tinygan.losses import sigmoid
from tinygan.presets import small_gan

DATA_MEAN, DATA_STD = 1.0, 0.5
X_RANGE = (-1.5, 3.5)


def data_batches(m, rng):
    while True:
        yield (DATA_MEAN + DATA_STD * rng.standard_normal((m, 1))).astype(np.float32)


def snapshot(gan, xs, n_samples=50000):
    """(G's density on the bins of xs, D(x) at xs): what one panel shows."""
    samples = gan.G.forward(gan.sample_noise(n_samples), train=False)[:, 0]
    step = xs[1] - xs[0]
    counts, _ = np.histogram(samples, bins=len(xs), range=(xs[0] - step / 2, xs[-1] + step / 2))
    D_of_x = sigmoid(gan.D.forward(xs[:, None].astype(np.float32), train=False))[:, 0]
    return counts / (n_samples * step), D_of_x


def main(argv=None):
    parser = cli.ArgumentParser(__doc__)
    parser.add_argument("--iterations", type=cli.positive_int, default=3000, help="Algorithm 1 iterations (default 3000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/figure1.png")
    args = parser.parse_args(argv)
    gan = small_gan(1, seed=args.seed)
    batches = data_batches(64, np.random.default_rng(args.seed))
    xs = np.linspace(*X_RANGE, 200)
    p_data = np.exp(-0.5 * ((xs - DATA_MEAN) / DATA_STD) ** 2) / (DATA_STD * np.sqrt(2 * np.pi))
    stages = sorted({0, args.iterations // 20, args.iterations // 4, args.iterations})
    panels, done = [], 0
    for label, stage in zip("abcd", stages):
        for _ in range(stage - done):
            gan.train_iteration(batches)
        done = stage
        p_g, D_of_x = snapshot(gan, xs)
        curves = [(xs, p_data, "black", "dotted", "p_data"), (xs, p_g, "green", "solid", "p_g"),
                  (xs, D_of_x, "blue", "dashed", "D(x)")]
        panels.append(images.plot_panel(curves, X_RANGE, (0, 1.6), f"({label}) iteration {stage}"))
        central = np.abs(xs - DATA_MEAN) < 2 * DATA_STD
        print(f"({label}) iteration {stage}: max |D(x) - 1/2| within 2 std of the data mean = "
              f"{np.abs(D_of_x[central] - 0.5).max():.3f}")
    images.save_panels(panels, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
