"""The paper's Figure 1 on a real 1-D GAN: the data density (black, dotted), the generator's
density (green, solid) and the discriminator D(x) (blue, dashed) as training goes on, and below
each panel the map z → x = G(z) from a uniform grid of z, drawn as lines.

    python examples/toy_1d.py                 # writes runs/figure1.png

Early on D separates the two densities; as G's density moves onto the data's, D flattens
towards ½ — the paper's global optimum, where D*(x) = p_data / (p_data + p_g) = ½. The lines
show how G squeezes the uniform noise where p_data is high and stretches it where it is low.
The script prints, for the last panel, the total variation between p_g and p_data on the
figure's bins.
"""
from math import erf

import numpy as np

from tinygan import cli, plots
from tinygan.losses import sigmoid
from tinygan.presets import small_gan

DATA_MEAN, DATA_STD = 1.0, 0.5
X_RANGE = (-2.0, 3.5)
N_BINS = 110


def data_batches(m, rng):
    while True:
        yield (DATA_MEAN + DATA_STD * rng.standard_normal((m, 1))).astype(np.float32)


def bin_probabilities(edges):
    """P(data in each bin) for N(DATA_MEAN, DATA_STD²)."""
    cdf = np.array([0.5 * (1 + erf((e - DATA_MEAN) / (DATA_STD * np.sqrt(2)))) for e in edges])
    return np.diff(cdf)


def snapshot(gan, edges, n_samples=200000):
    """(P(G's sample in each bin), D(x) at the bin centres, the grid z and G(z)): one panel."""
    samples = gan.G.forward(gan.sample_noise(n_samples), train=False)[:, 0]
    counts, _ = np.histogram(samples, bins=edges)
    centres = (edges[:-1] + edges[1:]) / 2
    D_of_x = sigmoid(gan.D.forward(centres[:, None].astype(np.float32), train=False))[:, 0]
    z = np.linspace(-gan.noise_range, gan.noise_range, 25, dtype=np.float32)[:, None]
    return counts / n_samples, D_of_x, z[:, 0], gan.G.forward(z, train=False)[:, 0]


def draw(axes, edges, p_data, p_g, D_of_x, z, x_of_z, title):
    """One panel: densities and D(x) on top, the z → x strip below."""
    top, strip = axes
    centres, width = (edges[:-1] + edges[1:]) / 2, edges[1] - edges[0]
    top.plot(centres, p_data / width, "k:", lw=2, label="p_data")
    top.plot(centres, p_g / width, color="tab:green", lw=1.5, label="p_g")
    top.plot(centres, D_of_x, "--", color="tab:blue", lw=1.5, label="D(x)")
    top.set(title=title, ylim=(0, 1.6), xlim=X_RANGE)
    strip.plot([X_RANGE[0], X_RANGE[1]], [0, 0], "k", lw=1)
    strip.plot([X_RANGE[0], X_RANGE[1]], [1, 1], "k", lw=1)
    for zi, xi in zip(z, x_of_z):
        strip.annotate("", xy=(xi, 1), xytext=(zi, 0), arrowprops={"arrowstyle": "->", "lw": 0.6})
    strip.set(xlim=X_RANGE, ylim=(-0.15, 1.15), yticks=[0, 1], yticklabels=["z", "x"], xlabel="z below, x = G(z) above")


def main(argv=None):
    parser = cli.ArgumentParser(__doc__)
    parser.add_argument("--iterations", type=cli.positive_int, default=3000, help="Algorithm 1 iterations (default 3000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/figure1.png")
    args = parser.parse_args(argv)
    try:
        plt = plots.pyplot()
    except RuntimeError as error:
        cli.fail(str(error))
    gan = small_gan(1, seed=args.seed)
    batches = data_batches(64, np.random.default_rng(args.seed))
    edges = np.linspace(*X_RANGE, N_BINS + 1)
    p_data = bin_probabilities(edges)
    stages = sorted({0, args.iterations // 20, args.iterations // 4, args.iterations})
    figure, axes = plt.subplots(2, len(stages), figsize=(4 * len(stages), 4.6), sharex=True,
                                gridspec_kw={"height_ratios": [3, 1]})
    done = 0
    for column, (label, stage) in enumerate(zip("abcd", stages)):
        for _ in range(stage - done):
            gan.train_iteration(batches)
        done = stage
        p_g, D_of_x, z, x_of_z = snapshot(gan, edges)
        draw(axes[:, column], edges, p_data, p_g, D_of_x, z, x_of_z, f"({label}) iteration {stage}")
        central = np.abs((edges[:-1] + edges[1:]) / 2 - DATA_MEAN) < 2 * DATA_STD
        print(f"({label}) iteration {stage}: max |D(x) - 1/2| within 2 std of the data mean = "
              f"{np.abs(D_of_x[central] - 0.5).max():.3f}")
    axes[0, 0].legend(loc="upper left", fontsize=8)
    print(f"total variation between p_g and p_data: {0.5 * np.abs(p_g - p_data).sum():.3f}")
    plots.save(figure, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
