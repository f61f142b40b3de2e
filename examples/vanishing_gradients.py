"""Why a WGAN critic's gradient does not vanish where the original GAN's does (the lecture
notes' §5), on a 1-D toy: the data is N(0, ½²), the generator G(z) = 5 + z/2 sits far away.

    python examples/vanishing_gradients.py          # writes runs/vanishing_gradients.png

For each of G's samples x it computes the gradient that reaches G, |∂ loss / ∂x|:

  * minimax cost log(1 − D*(x)) under the optimal discriminator D* = p_data / (p_data + p_g):
    D* ≈ 0 far from the data, and the gradient σ(a)·|a'| (a = log p_data − log p_g) vanishes;
  * non-saturating cost −log D*(x): (1 − σ(a))·|a'|, which does not vanish: the paper's reason
    to recommend it (§3);
  * a WGAN critic f trained by tinygan (critic cost, clipped weights, RMSProp): |f'(x)|, which
    stays of the order of the Lipschitz bound the clipping allows.
"""
import numpy as np

from tinygan import cli, plots
from tinygan.gan import GAN
from tinygan.layers import Linear, ReLU
from tinygan.losses import WassersteinObjective
from tinygan.network import Sequential
from tinygan.optim import RMSProp

DATA_STD, G_SHIFT, G_SCALE = 0.5, 5.0, 0.5


def log_p_data(x):
    return -0.5 * (x / DATA_STD) ** 2 - np.log(DATA_STD * np.sqrt(2 * np.pi))


def gan_gradients(x):
    """(minimax, non-saturating) |∂ cost / ∂x| at x under D*, for p_g flat on G's support (so
    a' = d/dx log p_data = −x/σ²). log σ(a) is kept in log space: σ(a) ≈ e^a underflows."""
    log_p_g = -np.log(2 * np.sqrt(3) * G_SCALE)                  # uniform z, scaled by G_SCALE
    a = log_p_data(x) - log_p_g
    slope = np.abs(x / DATA_STD ** 2)
    minimax = slope * np.exp(-np.logaddexp(0, -a))               # σ(a)·|a'|
    non_saturating = slope * np.exp(-np.logaddexp(0, a))         # (1 − σ(a))·|a'|
    return minimax, non_saturating


def trained_critic(steps, clip, seed):
    """A WGAN critic trained against the fixed G, and that G (a GAN whose G never steps)."""
    rng = np.random.default_rng(seed)
    G = Sequential(Linear(1, 1, dtype=np.float64))
    G.layers[0].params["W"][...], G.layers[0].params["b"][...] = G_SCALE, G_SHIFT
    critic = Sequential(Linear(1, 64, rng=rng, dtype=np.float64), ReLU(), Linear(64, 64, rng=rng, dtype=np.float64),
                        ReLU(), Linear(64, 1, rng=rng, dtype=np.float64))
    gan = GAN(G, critic, RMSProp(G, 0.0), RMSProp(critic, 1e-3), noise_dim=1, rng=np.random.default_rng(seed + 1),
              objective=WassersteinObjective(clip))

    def real():
        while True:
            yield DATA_STD * rng.standard_normal((256, 1))
    batches = real()
    for _ in range(steps):
        gan.discriminator_step(next(batches))
    return gan


def critic_gradient(gan, x):
    """|f'(x)| at each row of x (n, 1), by back-propagating 1 through the critic."""
    scores = gan.D.forward(x, train=False)
    return np.abs(gan.D.backward_input(np.ones_like(scores)))[:, 0]


def main(argv=None):
    parser = cli.ArgumentParser(__doc__)
    parser.add_argument("--steps", type=cli.positive_int, default=2000, help="critic steps (default 2000)")
    parser.add_argument("--clip", type=float, default=0.1, help="the critic's weight clipping (default 0.1)")
    parser.add_argument("--seed", type=cli.seed, default=0)
    parser.add_argument("--out", type=cli.output_file, default="runs/vanishing_gradients.png")
    args = parser.parse_args(argv)
    try:
        plt = plots.pyplot()
    except RuntimeError as error:
        cli.fail(str(error))
    gan = trained_critic(args.steps, args.clip, args.seed)
    x = np.sort(gan.generate(gan.sample_noise(2000), train=False), axis=0)
    minimax, non_saturating = gan_gradients(x[:, 0])
    critic = critic_gradient(gan, x)
    medians = {"minimax, optimal D": np.median(minimax), "non-saturating, optimal D": np.median(non_saturating),
               "WGAN critic": np.median(critic)}
    for name, value in medians.items():
        print(f"median |d loss / dx| at G's samples, {name}: {value:.3g}")
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(7, 6), sharex=True, gridspec_kw={"height_ratios": [1, 2]})
    xs = np.linspace(-2, 7, 500)
    top.plot(xs, np.exp(log_p_data(xs)), "k:", lw=2, label="p_data")
    top.fill_between(x[:, 0], 0, 1 / (2 * np.sqrt(3) * G_SCALE), color="tab:green", alpha=0.4, label="p_g")
    top.set(ylabel="density", title="G far from the data")
    top.legend()
    for values, name, style in ((minimax, "minimax, optimal D", "tab:red"),
                                (non_saturating, "non-saturating, optimal D", "tab:orange"),
                                (critic, "WGAN critic", "tab:blue")):
        bottom.semilogy(x[:, 0], np.maximum(values, 1e-300), color=style, lw=2, label=name)
    bottom.set(xlabel="x (G's samples)", ylabel="|∂ loss / ∂x|", xlim=(-2, 7))
    bottom.legend()
    plots.save(figure, args.out)
    print(f"wrote {args.out}")
    return medians


if __name__ == "__main__":
    main()
