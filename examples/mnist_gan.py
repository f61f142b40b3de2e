"""Train the paper's MNIST GAN (Goodfellow et al., 2014) with Algorithm 1.

    python examples/mnist_gan.py                     # the paper's preset, 100 epochs
    python examples/mnist_gan.py --epochs 1          # one epoch (~30 s on a 2-core CPU)
    python examples/mnist_gan.py --resume runs/mnist/checkpoint.npz --epochs 5
    python examples/mnist_gan.py --update simultaneous   # the paper's code's update (see the README:
                                                         # it recovers from the early collapse)

Writes, under --out (default runs/mnist):
    metrics.csv                one row per epoch: losses, mean D(x), mean D(G(z)), lr, momentum
    samples/epoch_NNN.png      100 samples from the same fixed z every epoch
    checkpoint.npz             everything needed to resume exactly (every epoch and on Ctrl-C)
    checkpoint_epoch_NNN.npz   a copy kept every --keep-every epochs (to evaluate along the way)
    samples_nearest.png        samples beside their nearest training image (the paper's Fig. 2)
"""
import argparse
import csv
import dataclasses
import os
import shutil
import signal
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from tinygan import backend, checkpoint, data, images, metrics  # noqa: E402
from tinygan.losses import GENERATOR_LOSSES  # noqa: E402
from tinygan.presets import PaperConfig, apply_paper_schedule, paper_gan  # noqa: E402

CSV_COLUMNS = ["epoch", "iteration", "d_loss", "g_loss", "d_real", "d_fake", "lr", "momentum", "seconds"]
STAT_NAMES = ["D loss", "G loss", "D(x)", "D(G(z))"]
TRAINING_OPTIONS = ["k", "loss", "update", "batch_size", "seed"]  # fixed by a resumed checkpoint
N_FIXED_SAMPLES = 100


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=100, help="epochs to train in all (default 100)")
    parser.add_argument("--batch-size", type=int, default=PaperConfig.batch_size,
                        help="minibatch size m (the paper: 100)")
    parser.add_argument("--k", type=int, default=1, help="discriminator steps per generator step (default 1)")
    parser.add_argument("--loss", choices=sorted(GENERATOR_LOSSES), default="non-saturating",
                        help="the generator's cost (default: non-saturating, −log D(G(z)))")
    parser.add_argument("--update", choices=["alternating", "simultaneous"], default="alternating",
                        help="alternating: Algorithm 1; simultaneous: what the paper's code did")
    parser.add_argument("--device", choices=backend.DEVICES, default="numpy",
                        help="numpy (CPU) or cupy (CUDA GPU)")
    parser.add_argument("--seed", type=int, default=0, help="seeds the weights, noise, dropout and data order")
    parser.add_argument("--data", default=data.SHIPPED_MNIST,
                        help="a folder with the four MNIST-format IDX files (default: the shipped MNIST)")
    parser.add_argument("--out", default="runs/mnist", help="output folder (default runs/mnist)")
    parser.add_argument("--resume", metavar="CHECKPOINT",
                        help="continue from a checkpoint, with its k, loss, update, batch size and seed")
    parser.add_argument("--max-iters", type=int, default=None,
                        help="stop after this many iterations in all (for a short smoke run)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="change one of the paper's numbers, e.g. --set d_irange=0.05 "
                             "(NAME: a field of tinygan.presets.PaperConfig; repeatable; "
                             "a resumed run keeps its checkpoint's)")
    parser.add_argument("--keep-every", type=int, default=0, metavar="N",
                        help="also keep checkpoint_epoch_NNN.npz every N epochs (default: never)")
    parser.add_argument("--log-every", type=int, default=50,
                        help="iterations between progress lines (and GPU→host reads)")
    return parser.parse_args(argv)


class Interrupt:
    """Within ``with``, Ctrl-C sets a flag read between iterations (so a checkpoint never holds
    half an iteration) instead of raising KeyboardInterrupt."""

    def __enter__(self):
        self.requested = False
        self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc):
        signal.signal(signal.SIGINT, self._previous)

    def _handle(self, signum, frame):
        self.requested = True


class Diverged(RuntimeError):
    pass


def check_finite(rows, first_iteration):
    """rows: (n, 4) host stats of iterations first_iteration … ; raises at the first NaN/inf."""
    bad = np.flatnonzero(~np.isfinite(rows).all(axis=1))
    if len(bad):
        values = ", ".join(f"{name} {value:.4g}" for name, value in zip(STAT_NAMES, rows[bad[0]]))
        raise Diverged(f"non-finite loss at iteration {first_iteration + bad[0] + 1} ({values})")


def restore(resumed, gan, args):
    """Loads a checkpoint's (arrays, meta) into ``gan``; returns (iteration, epoch). Exits with
    a clear message when the checkpoint does not fit this model."""
    arrays, meta = resumed
    try:
        gan.load_state_dict(arrays)
    except ValueError as error:
        sys.exit(f"cannot resume from {args.resume}: {error}")
    gan.set_rng(backend.restore_rng(meta["rng"], args.device, [args.seed, meta["iteration"]]))
    return meta["iteration"], meta["epoch"]


def save(path, gan, args, config, iteration, epoch):
    meta = {"config": config.to_dict(), "iteration": iteration, "epoch": epoch,
            "options": {name: getattr(args, name) for name in TRAINING_OPTIONS},
            "rng": backend.rng_state(gan.rng), "device": args.device}
    checkpoint.save(path, gan.state_dict(), meta)


def config_from_args(args):
    """The paper's configuration with --batch-size and every --set NAME=VALUE applied."""
    types = {field.name: field.type for field in dataclasses.fields(PaperConfig)}
    values = {"batch_size": args.batch_size}
    for setting in args.set:
        name, _, value = setting.partition("=")
        try:
            values[name] = types[name](value)
        except (KeyError, ValueError):
            raise ValueError(f"--set {setting}: expected NAME=VALUE with NAME one of "
                             f"{', '.join(types)} and a value of its type") from None
    return PaperConfig(**values)


def options_from_checkpoint(meta, args):
    """On --resume, the checkpoint's training options replace the command line's."""
    for name in TRAINING_OPTIONS:
        setattr(args, name, meta["options"][name])
    return PaperConfig(**meta["config"])


def append_csv(path, row):
    is_new = not os.path.exists(path)
    with open(path, "a", newline="") as f:
        writer = csv.writer(f)
        if is_new:
            writer.writerow(CSV_COLUMNS)
        writer.writerow(row)


def sample_grid(gan, fixed_z, path):
    images.save_grid(backend.to_host(gan.G.forward(fixed_z, train=False)), path, cols=10)


def read_window(pending, iteration, last_iteration, window_seconds, checkpoint_path):
    """Reads a window of per-iteration stats back to the host (the loop's one host read),
    stops on a NaN, prints the progress line; returns the (n, 4) host rows."""
    rows = backend.to_host(backend.array_module(pending[0]).stack(pending))
    try:
        check_finite(rows, iteration - len(rows))
    except Diverged as error:
        kept = (f"the last good checkpoint is {checkpoint_path}" if os.path.exists(checkpoint_path)
                else "no checkpoint was written")
        sys.exit(f"{error}: training stopped; {kept}")
    rate = len(rows) / window_seconds
    eta = time.strftime("%H:%M:%S", time.gmtime((last_iteration - iteration) / rate))
    print(f"iter {iteration}/{last_iteration} | {rate:.1f} it/s | ETA {eta} | "
          + " | ".join(f"{name} {value:.4f}" for name, value in zip(STAT_NAMES, rows[-1])), flush=True)
    return rows


def main(argv=None):
    args = parse_args(argv)
    try:
        backend.get_xp(args.device)                   # fails early, with install help, without a GPU
        resumed = checkpoint.load(args.resume) if args.resume else None
        config = options_from_checkpoint(resumed[1], args) if resumed else config_from_args(args)
        splits = data.load_mnist(args.data)
    except (RuntimeError, ValueError) as error:      # no GPU, a bad --set, DataError, CheckpointError
        sys.exit(f"error: {error}")
    with Interrupt() as interrupt:
        train(args, config, splits, resumed, interrupt)


def train(args, config, splits, resumed, interrupt):
    train_images = backend.to_device(splits["train"][0], args.device)   # uint8, copied once
    gan = paper_gan(train_images, args.seed, args.device, config, k=args.k,
                    generator_loss=args.loss, update=args.update)
    iteration, epoch = restore(resumed, gan, args) if resumed else (0, 0)
    batches = data.Minibatches(train_images, args.batch_size, args.seed)
    iters_per_epoch = batches.batches_per_epoch // args.k
    last_iteration = args.epochs * iters_per_epoch
    if args.max_iters is not None:
        last_iteration = min(last_iteration, args.max_iters)
    fixed_z = backend.to_device(np.random.default_rng([args.seed, 1]).uniform(
        -config.noise_range, config.noise_range, (N_FIXED_SAMPLES, config.noise_dim)).astype(np.float32), args.device)

    os.makedirs(os.path.join(args.out, "samples"), exist_ok=True)
    checkpoint_path = os.path.join(args.out, "checkpoint.npz")
    run_start, run_start_iteration = time.perf_counter(), iteration
    print(f"training the paper's MNIST GAN on {args.device}: {iters_per_epoch} iterations an epoch, "
          f"iterations {iteration + 1}…{last_iteration}, k={args.k}, {args.loss} G loss, {args.update} updates")
    while iteration < last_iteration and not interrupt.requested:
        epoch_start, epoch_start_iteration = time.perf_counter(), iteration
        epoch_end = min((epoch + 1) * iters_per_epoch, last_iteration)
        real_batches = batches.epoch(epoch, (iteration - epoch * iters_per_epoch) * args.k)
        pending, epoch_sums = [], np.zeros(4)
        window_start = time.perf_counter()
        while iteration < epoch_end and not interrupt.requested:
            lr, momentum = apply_paper_schedule(gan, config, iteration, epoch)
            pending.append(gan.train_iteration(real_batches))
            iteration += 1
            if len(pending) == args.log_every or iteration == epoch_end or interrupt.requested:
                print(f"epoch {epoch + 1} | ", end="")
                epoch_sums += read_window(pending, iteration, last_iteration,
                                          time.perf_counter() - window_start, checkpoint_path).sum(axis=0)
                pending, window_start = [], time.perf_counter()
        if iteration == epoch_end and iteration % iters_per_epoch == 0:
            epoch += 1                                   # a whole epoch is done
        means = epoch_sums / max(iteration - epoch_start_iteration, 1)
        label = epoch if iteration % iters_per_epoch == 0 else epoch + 1
        append_csv(os.path.join(args.out, "metrics.csv"),
                   [label, iteration, *np.round(means, 6), lr, momentum, round(time.perf_counter() - epoch_start, 3)])
        sample_grid(gan, fixed_z, os.path.join(args.out, "samples", f"epoch_{label:03d}.png"))
        save(checkpoint_path, gan, args, config, iteration, epoch)
        if args.keep_every and iteration % iters_per_epoch == 0 and epoch % args.keep_every == 0:
            shutil.copyfile(checkpoint_path, os.path.join(args.out, f"checkpoint_epoch_{epoch:03d}.npz"))
    if interrupt.requested:
        print(f"interrupted: saved {checkpoint_path} at iteration {iteration}; resume with --resume {checkpoint_path}")
        return
    samples = backend.to_host(gan.G.forward(fixed_z[:30], train=False))
    train_pixels = data.to_unit_float(splits["train"][0])
    nearest = backend.to_host(metrics.nearest_rows(samples, train_pixels))
    images.save_pairs(samples, train_pixels[nearest], os.path.join(args.out, "samples_nearest.png"))
    elapsed = time.perf_counter() - run_start
    print(f"done: {iteration - run_start_iteration} iterations in {elapsed:.1f} s; wrote {args.out}/")


if __name__ == "__main__":
    main()
