"""Why gradient play need not converge: v(a, b) = a·b (Deep Learning book §20.10.4).

Player A picks a to minimise v, player B picks b to maximise it. The only equilibrium is
(0, 0), yet gradient steps never reach it:

    simultaneous:  a ← a − η·b,   b ← b + η·a        (both from the old point)
    alternating:   a ← a − η·b,   then b ← b + η·a   (B sees A's new a)

Simultaneous play multiplies the distance from (0, 0) by √(1 + η²) every step: it spirals
outwards. Alternating play (Algorithm 1's order) stays on a closed orbit: it circles forever.
In continuous time both are the circle (a, b) = r·(cos t, −sin t)... neither converges.

The mean of the points visited does what no point does. Each step is linear, x ← M·x, so the
sum of x_0 … x_T is (I − M)⁻¹·(x_0 − x_T+1): on the closed orbit the mean of T + 1 points is
within ‖(I − M)⁻¹‖·2r/(T + 1) ≈ 2r/(η·T) of the equilibrium. This is why averaging a GAN's
checkpoints (tinygan.checkpoint.average_generators) gives a better generator than any one of them.

    python examples/bilinear_game.py          # writes runs/bilinear_game.png
"""
import numpy as np

from tinygan import cli, plots


def play(a, b, eta, steps, simultaneous):
    """The path (steps + 1, 2) of (a, b) under gradient play on v = a·b (∂v/∂a = b, ∂v/∂b = a)."""
    path = [(a, b)]
    for _ in range(steps):
        if simultaneous:
            a, b = a - eta * b, b + eta * a
        else:
            a = a - eta * b
            b = b + eta * a
        path.append((a, b))
    return np.array(path)


def main(argv=None):
    parser = cli.ArgumentParser(__doc__)
    parser.add_argument("--eta", type=float, default=0.1, help="step size (default 0.1)")
    parser.add_argument("--steps", type=cli.positive_int, default=100)
    parser.add_argument("--out", type=cli.output_file, default="runs/bilinear_game.png")
    args = parser.parse_args(argv)
    simultaneous = play(1.0, 0.0, args.eta, args.steps, simultaneous=True)
    alternating = play(1.0, 0.0, args.eta, args.steps, simultaneous=False)
    for name, path in (("simultaneous", simultaneous), ("alternating", alternating)):
        radius = np.hypot(path[:, 0], path[:, 1])
        print(f"{name:>12}: distance from (0, 0) {radius[0]:.3f} -> {radius[-1]:.3f} "
              f"(min {radius.min():.3f}, max {radius.max():.3f}) after {args.steps} steps; "
              f"the mean of the points is {np.hypot(*path.mean(axis=0)):.3f} from it")
    try:
        plt = plots.pyplot()
    except RuntimeError as error:
        cli.fail(str(error))
    figure, axes = plt.subplots(1, 2, figsize=(10, 5), sharex=True, sharey=True)
    limit = 1.1 * np.abs(simultaneous).max()
    for ax, name, path, colour in ((axes[0], "simultaneous", simultaneous, "tab:red"),
                                   (axes[1], "alternating", alternating, "tab:blue")):
        ax.plot(path[:, 0], path[:, 1], color=colour, lw=1, marker=".", ms=3, label="(a, b), one dot a step")
        running_mean = np.cumsum(path, axis=0) / np.arange(1, len(path) + 1)[:, None]
        ax.plot(running_mean[:, 0], running_mean[:, 1], color="black", lw=1, ls="--",
                label="the mean of the points so far")
        ax.plot(*path[0], "o", color="black", ms=7, label=f"start ({path[0, 0]:g}, {path[0, 1]:g})")
        ax.plot(0, 0, "*", color="gold", mec="black", ms=14, label="equilibrium (0, 0)")
        ax.set(title=f"{name} play, η = {args.eta:g}, {args.steps} steps", xlabel="a (minimises a·b)",
               ylabel="b (maximises a·b)", xlim=(-limit, limit), ylim=(-limit, limit), aspect="equal")
        ax.legend(loc="lower left", fontsize=8)
    plots.save(figure, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
