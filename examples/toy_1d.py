"""The paper's Figure 1 on a real 1-D GAN: the data density (black, dotted), the generator's
density (green, solid) and the discriminator D(x) (blue, dashed) as training goes on, and below
each panel the map z → x = G(z) from a uniform grid of z, drawn as arrows.

    python examples/toy_1d.py                 # writes runs/figure1.png (~1 minute on a CPU core)

Early on D separates the two densities; as G's density moves onto the data's, D flattens
towards ½ — the paper's global optimum, where D*(x) = p_data / (p_data + p_g) = ½. The arrows
show how G squeezes the uniform noise where p_data is high and stretches it where it is low.
For each panel the script prints the total variation between p_g and p_data on the figure's
bins (width σ/10, from a million samples of G) and how far D is from ½ where the data lives.

To end on p_data, not near it, the toy needs what the MNIST preset does not: a discriminator
that stays close to D* (Adam at ten times G's rate, two D steps per G step, units spread over
the data's range), a generator whose kinks start spread over the noise's range, and G's rate
decayed to zero over the second half so that it settles instead of circling the optimum.
"""
from math import erf

import numpy as np

from tinygan import cli, plots
from tinygan.gan import GAN
from tinygan.layers import Linear, ReLU, Tanh
from tinygan.losses import sigmoid
from tinygan.network import Sequential
from tinygan.optim import Adam

DATA_MEAN, DATA_STD = 1.0, 0.5
NOISE_RANGE = np.sqrt(3)                  # z ~ U(−√3, √3), as the MNIST preset
X_RANGE = (-2.0, 3.5)
N_BINS = 110                              # bins of width DATA_STD / 10
BATCH, K, G_LR, D_LR = 512, 2, 2e-4, 2e-3


def spread_switch_points(layer, low, high, rng):
    """Moves each unit's switch point x = −b/w (a ReLU's kink, a tanh's centre) to its own place
    in (low, high). With zero biases every unit of a 1-D input switches at 0, and the network
    can bend in one place only."""
    centres = rng.uniform(low, high, layer.params["b"].shape).astype(layer.params["b"].dtype)
    layer.params["b"][...] = -layer.params["W"][0] * centres


def toy_gan(seed):
    """G: z (m, 1) → 64 ReLU → 64 ReLU → x (m, 1); D: x → 128 tanh → 128 tanh → logit (m, 1);
    float32, Adam for both, K D steps per G step."""
    rng = np.random.default_rng(seed)
    generator = Sequential(Linear(1, 64, rng=rng), ReLU(), Linear(64, 64, rng=rng), ReLU(), Linear(64, 1, rng=rng))
    discriminator = Sequential(Linear(1, 128, rng=rng), Tanh(), Linear(128, 128, rng=rng), Tanh(),
                               Linear(128, 1, rng=rng))
    spread_switch_points(generator.layers[0], -NOISE_RANGE, NOISE_RANGE, rng)
    spread_switch_points(discriminator.layers[0], DATA_MEAN - 4 * DATA_STD, DATA_MEAN + 4 * DATA_STD, rng)
    return GAN(generator, discriminator, Adam(generator, G_LR), Adam(discriminator, D_LR), 1,
               np.random.default_rng(seed + 1), noise_range=NOISE_RANGE, k=K)


def data_batches(m, rng):
    while True:
        yield (DATA_MEAN + DATA_STD * rng.standard_normal((m, 1))).astype(np.float32)


def bin_probabilities(edges):
    """P(data in each bin) for N(DATA_MEAN, DATA_STD²)."""
    cdf = np.array([0.5 * (1 + erf((e - DATA_MEAN) / (DATA_STD * np.sqrt(2)))) for e in edges])
    return np.diff(cdf)


def snapshot(gan, edges, n_samples=1_000_000):
    """(P(G's sample in each bin), D(x) at the bin centres, the grid z and G(z)): one panel."""
    samples = gan.G.forward(gan.sample_noise(n_samples), train=False)[:, 0]
    counts, _ = np.histogram(samples, bins=edges)
    centres = (edges[:-1] + edges[1:]) / 2
    D_of_x = sigmoid(gan.D.forward(centres[:, None].astype(np.float32), train=False))[:, 0]
    z = np.linspace(-gan.noise_range, gan.noise_range, 25, dtype=np.float32)[:, None]
    return counts / n_samples, D_of_x, z[:, 0], gan.G.forward(z, train=False)[:, 0]


def train(gan, batches, start, stop, total):
    """Algorithm 1 from iteration ``start`` to ``stop`` of ``total``; G's rate falls linearly
    from G_LR to 0 over the second half."""
    for iteration in range(start, stop):
        gan.G_optimizer.lr = G_LR * min(1.0, 2 * (total - iteration) / total)
        gan.train_iteration(batches)


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
    parser.add_argument("--iterations", type=cli.positive_int, default=6000, help="Algorithm 1 iterations (default 6000)")
    parser.add_argument("--seed", type=cli.seed, default=0)
    parser.add_argument("--out", type=cli.output_file, default="runs/figure1.png")
    args = parser.parse_args(argv)
    try:
        plt = plots.pyplot()
    except RuntimeError as error:
        cli.fail(str(error))
    gan = toy_gan(args.seed)
    batches = data_batches(BATCH, np.random.default_rng(args.seed))
    edges = np.linspace(*X_RANGE, N_BINS + 1)
    p_data = bin_probabilities(edges)
    central = np.abs((edges[:-1] + edges[1:]) / 2 - DATA_MEAN) < 2 * DATA_STD
    stages = sorted({0, args.iterations // 20, args.iterations // 4, args.iterations})
    figure, axes = plt.subplots(2, len(stages), figsize=(4 * len(stages), 4.6), sharex=True,
                                gridspec_kw={"height_ratios": [3, 1]})
    done, variations = 0, []
    for column, (label, stage) in enumerate(zip("abcd", stages)):
        train(gan, batches, done, stage, args.iterations)
        done = stage
        p_g, D_of_x, z, x_of_z = snapshot(gan, edges)
        draw(axes[:, column], edges, p_data, p_g, D_of_x, z, x_of_z, f"({label}) iteration {stage}")
        variations.append(0.5 * np.abs(p_g - p_data).sum())
        print(f"({label}) iteration {stage}: total variation {variations[-1]:.3f}, max |D(x) - 1/2| "
              f"within 2 std of the data mean {np.abs(D_of_x[central] - 0.5).max():.3f}")
    axes[0, 0].legend(loc="upper left", fontsize=8)
    print(f"total variation between p_g and p_data: {variations[-1]:.3f}")
    plots.save(figure, args.out)
    print(f"wrote {args.out}")
    return variations


if __name__ == "__main__":
    main()
