"""Train a Wasserstein GAN (Arjovsky et al., 2017) on MNIST with Algorithm 1's loop.

    python examples/mnist_wgan.py --epochs 100          # writes runs/wgan/

The critic is the paper's discriminator without its dropout and with f(x) unsquashed; its cost
is mean f(G(z)) − mean f(x), its weights are clipped to [−0.01, 0.01] after each of its 5 steps
per G step, and both networks use RMSProp at lr 5e-5 (``tinygan.presets.PRESETS["wgan"]``).
It writes what examples/mnist_gan.py writes (every flag of it works here too), with the
critic's estimate of the Wasserstein distance, mean f(x) − mean f(G(z)), in metrics.csv, and
at the end wasserstein.png: that estimate beside the Fréchet distance of tinygan's classifier,
epoch by epoch — the WGAN paper's observation that the estimate tracks sample quality — and
the rank correlation of the two.
"""
import csv
import os

from tinygan import cli, metrics, plots, runs
from tinygan.optim import apply_paper_schedule


def plot_estimate_and_quality(plt, folder):
    """wasserstein.png in ``folder`` from its metrics.csv; prints how closely the estimate
    follows the Fréchet distance."""
    with open(os.path.join(folder, "metrics.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    iterations = [int(row["iteration"]) for row in rows]
    estimate = [float(row["wasserstein_estimate"]) for row in rows]
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(7, 6), sharex=True)
    top.plot(iterations, estimate, "o-", color="tab:blue")
    top.set(ylabel="critic's estimate of W", title="WGAN on MNIST: the estimate against sample quality")
    if rows and rows[0]["frechet"]:
        frechet = [float(row["frechet"]) for row in rows]
        bottom.plot(iterations, frechet, "o-", color="tab:red")
        if len(rows) > 2:
            print(f"rank correlation of the critic's estimate and the Fréchet distance over {len(rows)} epochs: "
                  f"{metrics.rank_correlation(estimate, frechet):.3f}")
    bottom.set(xlabel="iteration (one = 5 critic steps + 1 G step)", ylabel="Fréchet distance (classifier features)")
    path = os.path.join(folder, "wasserstein.png")
    plots.save(figure, path)
    print(f"wrote {path}")


def main(argv=None):
    """Trains as the command line says (examples/mnist_gan.py's flags); returns the finished run."""
    cli.sturdy_output()
    args = runs.parse_args(__doc__, argv, preset="wgan", out=os.path.join("runs", "wgan"))
    try:
        plt = plots.pyplot()                  # before training: the plot comes at the end
    except RuntimeError as error:
        cli.fail(str(error))
    run = runs.prepare(args, needs=("mnist_wgan.py trains a Wasserstein GAN (objective 'wasserstein', "
                                    "--preset wgan)", lambda config: config.objective == "wasserstein"))
    with run.owned() as stop:
        while run.iteration < run.last_iteration and not stop.requested:        # Algorithm 1, line 1
            minibatches = run.minibatches()
            while run.iteration < run.epoch_end() and not stop.requested:
                lr, momentum = apply_paper_schedule(run.gan, run.config, run.iteration, run.epoch)
                run.record(run.iterate(minibatches), stop)   # 5 critic steps, each clipped; one G step
            run.end_epoch(lr, momentum, stop)                # the row holds E f(x) − E f(G(z))
        run.finish()
    plot_estimate_and_quality(plt, run.out)
    return run


if __name__ == "__main__":
    main()
