"""Why gradient play need not converge: v(a, b) = a·b (Deep Learning book §20.10.4).

Player A picks a to minimise v, player B picks b to maximise it. The only equilibrium is
(0, 0), yet gradient steps never reach it:

    simultaneous:  a ← a − η·b,   b ← b + η·a        (both from the old point)
    alternating:   a ← a − η·b,   then b ← b + η·a   (B sees A's new a)

Simultaneous play multiplies the distance from (0, 0) by √(1 + η²) every step: it spirals
outwards. Alternating play (Algorithm 1's order) stays on a closed orbit: it circles forever.
In continuous time both are the circle (a, b) = r·(cos t, −sin t)... neither converges.

    python examples/bilinear_game.py          # writes runs/bilinear_game.png
"""
import numpy as np

from tinygan import cli, images


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
    parser.add_argument("--out", default="runs/bilinear_game.png")
    args = parser.parse_args(argv)
    simultaneous = play(1.0, 0.0, args.eta, args.steps, simultaneous=True)
    alternating = play(1.0, 0.0, args.eta, args.steps, simultaneous=False)
    for name, path in (("simultaneous", simultaneous), ("alternating", alternating)):
        radius = np.hypot(path[:, 0], path[:, 1])
        print(f"{name:>12}: distance from (0, 0) {radius[0]:.3f} -> {radius[-1]:.3f} "
              f"(min {radius.min():.3f}, max {radius.max():.3f}) after {args.steps} steps")
    limit = 1.1 * np.abs(simultaneous).max()
    panels = [images.plot_panel([(path[:, 0], path[:, 1], colour, "solid", f"{name} (a, b)"),
                                 ([0], [0], "black", "solid", "")], (-limit, limit), (-limit, limit),
                                f"{name} gradient play on v = a*b", size=(360, 360))
              for name, path, colour in (("simultaneous", simultaneous, "red"),
                                         ("alternating", alternating, "blue"))]
    images.save_panels(panels, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
