"""Train the MNIST GAN of Goodfellow et al. (2014) with Algorithm 1.

    python examples/mnist_gan.py                          # the default preset, 100 epochs
    python examples/mnist_gan.py --epochs 1               # one epoch (~30 s on a 2-core CPU)
    python examples/mnist_gan.py --preset paper --update simultaneous --set noise_prior=gaussian
                                                          # the released code, number for number
    python examples/mnist_gan.py --resume runs/mnist/checkpoint.npz --epochs 200
    python examples/mnist_gan.py --device cupy --cuda-graph   # on a GPU, each iteration one graph launch

Writes, under --out (default runs/mnist; a folder that holds a run is refused unless --resume or
--overwrite, and one that another live run holds is refused, naming its pid: .tinygan.lock):
    metrics.csv                one row per epoch: losses, mean D(x), mean D(G(z)), lr, momentum,
                               and what tinygan's MNIST classifier sees in 2,000 fixed samples
    samples/epoch_NNN.png      100 samples from the same fixed z every epoch
    samples.gif                those grids as an animation, 100 of them at most, evenly spaced
                               (written when the run ends or is stopped)
    checkpoint.npz             everything needed to resume exactly (after the first epoch, at the
                               end of an epoch once --checkpoint-every seconds have passed, at the
                               end of the run, and on Ctrl-C or SIGTERM, after which the run exits
                               with 130 or 143)
    checkpoint_epoch_NNN.npz   a copy kept every --keep-every epochs
    samples_nearest.png        samples beside their nearest training image (the paper's Fig. 2)
"""
import glob
import os
import signal
import sys
import time
from dataclasses import dataclass, replace

import numpy as np

import sample
from tinygan import backend, checkpoint, classifier, cli, data, files, images, metrics, runs
from tinygan.gan import NOISE_FOR_G, UPDATES, draw_noise
from tinygan.graph import CaptureError, CapturedIteration
from tinygan.logbook import Diverged, Logbook
from tinygan.losses import GENERATOR_LOSSES
from tinygan.optim import apply_paper_schedule
from tinygan.checkpoint import load_gan, save_gan
from tinygan.presets import PRESETS, Config, ConfigError, TooLarge, paper_gan, pixel_means_of, preset_name

STATS = ["disc_loss", "gen_loss", "mean_D_x", "mean_D_G_z"]   # GAN.train_iteration's order
FLAGS = {"batch_size": "--batch-size", "k": "--k", "generator_loss": "--loss", "update": "--update",
         "G_noise": "--g-noise", "seed": "--seed"}         # flags that set a field of the Config
N_FIXED, N_QUALITY = 100, 2000                            # samples in each grid / each quality row
COLLAPSE_AFTER_EPOCH, COLLAPSE_SHARE, COLLAPSE_D_FAKE = 2, 0.5, 0.01   # what "looks collapsed" means,
COLLAPSE_EPOCHS = 2                                                   # ... this many epochs in a row


def parse_args(argv=None):
    parser = cli.ArgumentParser(__doc__)
    parser.add_argument("--epochs", type=cli.positive_int, default=100, help="epochs to train in all (default 100)")
    parser.add_argument("--preset", choices=sorted(PRESETS),
                        help="default: Algorithm 1 that trains (see the README); paper: mnist.yaml; "
                             "wgan: a Wasserstein GAN; cgan: a conditional GAN")
    parser.add_argument("--batch-size", type=cli.positive_int, help="minibatch size m (presets: 100)")
    parser.add_argument("--k", type=cli.positive_int, help="D steps per G step (presets: 1; wgan: 5)")
    parser.add_argument("--loss", choices=sorted(GENERATOR_LOSSES),
                        help="G's cost (presets: non-saturating, −log D(G(z)))")
    parser.add_argument("--update", choices=UPDATES,
                        help="alternating: Algorithm 1 (presets); simultaneous: the released code")
    parser.add_argument("--g-noise", choices=NOISE_FOR_G,
                        help="G's step draws a fresh z (Algorithm 1, presets) or reuses the D step's")
    parser.add_argument("--seed", type=cli.seed, help="seeds the weights, noise, dropout and data order (default 0)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="change any field of tinygan.presets.Config, e.g. --set D_irange=0.05")
    parser.add_argument("--device", choices=backend.DEVICES, default="numpy", help="numpy (CPU) or cupy (GPU)")
    parser.add_argument("--cuda-graph", action="store_true",
                        help="record Algorithm 1's iteration once as a CUDA graph and replay it (--device cupy)")
    parser.add_argument("--data", default=data.SHIPPED_MNIST, help="a folder with the four MNIST-format IDX files")
    parser.add_argument("--out", help="output folder (default runs/mnist, or the resumed checkpoint's folder)")
    parser.add_argument("--resume", metavar="CHECKPOINT", help="continue a run from its checkpoint")
    parser.add_argument("--overwrite", action="store_true", help="replace the run that --out holds")
    parser.add_argument("--max-iters", type=cli.positive_int, help="stop after this many iterations in all")
    parser.add_argument("--keep-every", type=cli.positive_int, metavar="N", help="keep checkpoint_epoch_NNN.npz every N epochs")
    parser.add_argument("--checkpoint-every", type=cli.non_negative_float, default=30, metavar="SECONDS",
                        help="rewrite checkpoint.npz at the first epoch end this long after the last "
                             "(default 30; 0: every epoch); a stop and the run's end always write it")
    parser.add_argument("--log-every", type=cli.positive_int, default=50, help="iterations between progress lines")
    return parser.parse_args(argv)


def settings_from_args(args):
    """{Config field: value} of every flag given and every --set NAME=VALUE."""
    settings = {name: getattr(args, flag[2:].replace("-", "_")) for name, flag in FLAGS.items()}
    settings = {name: value for name, value in settings.items() if value is not None}
    types = Config.field_types()
    for setting in args.set:
        name, _, value = setting.partition("=")
        try:
            settings[name] = types[name](value)
        except (KeyError, ValueError):
            raise ValueError(f"--set {setting}: expected NAME=VALUE with NAME one of "
                             f"{', '.join(types)} and a value of its type") from None
    return settings


def config_from_args(args):
    """The preset with the flags and --set applied; ValueError names the flag at fault."""
    try:
        return replace(PRESETS[args.preset or "default"], **settings_from_args(args))
    except ConfigError as error:
        flag = FLAGS.get(error.name, f"--set {error.name}")
        raise ValueError(f"{flag}: expected {error.expected}") from None


@dataclass
class Run:
    """Everything the training loop needs, checked before anything is written."""
    gan: object
    config: Config
    batches: data.Minibatches
    log: Logbook
    out: str
    per_epoch: int
    iteration: int             # where the run stands (updated when training ends)
    epoch: int
    last_iteration: int
    provenance: dict
    train_images: np.ndarray   # (N, n_pixels) uint8 on the host, for the nearest-neighbour figure
    fixed: tuple               # (z, labels) of the grids: labels None, or one row per class
    quality: object            # (classifier, (z, labels), reference statistics), or None where it does not apply
    log_every: int
    keep_every: int
    checkpoint_every: float    # seconds between rewrites of checkpoint.npz
    iterate: object            # gan.train_iteration, or its CapturedIteration
    collapsed_epochs: int = 0  # whole epochs in a row that looked collapsed
    warned: bool = False


def prepare(args, needs=None):
    """A Run from the command line, or a one-line error (exit 2 for a flag, 1 for a file).
    needs: (what, test) for a script that trains one kind of GAN: a configuration that fails
    ``test`` is refused, saying ``what``."""
    if args.cuda_graph and args.device != "cupy":
        cli.fail("--cuda-graph: expected --device cupy (a CUDA graph records GPU kernels)", cli.USAGE_ERROR)
    try:
        backend.get_xp(args.device)
        config = config_from_args(args)
    except (RuntimeError, ValueError) as error:
        cli.fail(str(error), cli.USAGE_ERROR if isinstance(error, ValueError) else cli.RUNTIME_ERROR)
    out = args.out or (os.path.dirname(os.path.abspath(args.resume)) if args.resume else os.path.join("runs", "mnist"))
    check_out_folder(out)
    try:
        splits = data.load_mnist(args.data)
        resumed = load_gan(args.resume, args.device) if args.resume else None
    except (data.DataError, checkpoint.CheckpointError) as error:
        cli.fail(str(error))
    train_images = splits["train"][0]
    provenance = {"data": {"folder": os.path.abspath(args.data), "fingerprint": data.fingerprint(train_images)},
                  "device": args.device}
    if resumed:
        gan, config, meta = resumed
        if meta["contents"] != "gan":
            cli.fail(f"{args.resume} holds a generator only: training resumes from a run's checkpoint.npz")
        check_resume(args, config, meta, provenance)
        iteration, epoch = meta["iteration"], meta["epoch"]
    else:
        try:
            gan, iteration, epoch = paper_gan(config, pixel_means_of(train_images), args.device), 0, 0
        except TooLarge as error:
            cli.fail(str(error), cli.USAGE_ERROR)
    if needs and not needs[1](config):
        source = args.resume if resumed else f"--preset {args.preset or 'default'}"
        cli.fail(f"{source}: {needs[0]}; this run's configuration is {preset_name(config)}", cli.USAGE_ERROR)
    per_epoch = (len(train_images) // config.batch_size) // config.k
    if per_epoch == 0:
        cli.fail(f"--k {config.k} with --batch-size {config.batch_size}: an epoch of "
                 f"{len(train_images)} images has fewer than k minibatches", cli.USAGE_ERROR)
    last_iteration = min(args.epochs * per_epoch, args.max_iters or np.inf)
    if last_iteration <= iteration:
        flag = f"--max-iters {args.max_iters}" if args.max_iters and args.max_iters <= iteration else f"--epochs {args.epochs}"
        cli.fail(f"{flag}: nothing left to train, the checkpoint is at epoch {epoch} (iteration {iteration})",
                 cli.USAGE_ERROR)
    device_images = backend.to_device(train_images, args.device)           # uint8, copied once
    labels = backend.to_device(splits["train"][1].astype(np.int64), args.device) if config.n_classes else None
    if config.n_classes and int(splits["train"][1].max()) >= config.n_classes:
        cli.fail(f"--data {args.data}: labels up to {int(splits['train'][1].max())}, but n_classes is "
                 f"{config.n_classes}", cli.USAGE_ERROR)
    try:
        iterate = CapturedIteration(gan) if args.cuda_graph else gan.train_iteration
    except ValueError as error:
        cli.fail(f"--cuda-graph: {error}", cli.USAGE_ERROR)
    log = Logbook(os.path.join(out, "metrics.csv"), STATS, last_iteration)
    if resumed:
        try:
            log.restore(meta["logbook"], iteration, per_epoch)
        except ValueError as error:
            cli.fail(f"{error}: resuming needs the run's own metrics.csv")
    return Run(gan, config, data.Minibatches(device_images, config.batch_size, config.seed, labels), log, out,
               per_epoch, iteration, epoch, last_iteration, provenance, train_images,
               fixed_input(config, N_FIXED, 1, args.device), quality_probe(config, splits, provenance, args.device),
               args.log_every, args.keep_every, args.checkpoint_every, iterate)


def check_out_folder(out):
    """Refuses an --out that is a file, has too long a name or cannot be written."""
    problem = cli.unwritable(out, folder=True)
    if problem:
        cli.fail(f"--out {problem}", cli.USAGE_ERROR)


def claim(out, args):
    """Within the folder's lock (runs.owned): refuses to mix two runs in one folder, and clears the
    folder's run for --overwrite."""
    holds = runs.held(out)
    if holds and not (args.resume or args.overwrite):
        cli.fail(f"--out {out} already holds a run ({holds[0]}): continue it with --resume "
                 f"{os.path.join(out, 'checkpoint.npz')}, choose another --out, or pass --overwrite", cli.USAGE_ERROR)
    if holds and args.resume and not os.path.samefile(out, os.path.dirname(os.path.abspath(args.resume))):
        cli.fail(f"--out {out} already holds another run ({holds[0]}): a resumed run continues in its own "
                 "folder or an empty one", cli.USAGE_ERROR)
    kept = runs.clear(out) if args.overwrite and not args.resume else []
    if kept:
        print(f"note: --overwrite kept {len(kept)} file{'s' * (len(kept) > 1)} tinygan does not write: "
              + ", ".join(kept[:5]) + (", …" if len(kept) > 5 else ""))


def check_resume(args, config, meta, provenance):
    """A resumed run keeps its checkpoint's configuration and must see the same data."""
    changed = {name: value for name, value in settings_from_args(args).items() if getattr(config, name) != value}
    if changed or args.preset:
        name, value = next(iter(changed.items())) if changed else ("preset", args.preset)
        flag = f"--preset {value}" if name == "preset" else f"{FLAGS.get(name, '--set ' + name)}={value}"
        cli.fail(f"{flag}: a resumed run keeps the configuration of {args.resume} "
                 f"({name} = {getattr(config, name, '…')}); leave the flag out", cli.USAGE_ERROR)
    trained_on = meta.get("data", {})
    if trained_on.get("fingerprint") != provenance["data"]["fingerprint"]:
        cli.fail(f"{args.resume} was trained on {trained_on.get('folder')} (fingerprint "
                 f"{trained_on.get('fingerprint')}), but --data {args.data} holds other images (fingerprint "
                 f"{provenance['data']['fingerprint']}): pass the run's --data")


def fixed_input(config, n, stream, device):
    """(z, labels): n noise vectors drawn from (seed, stream) on the host, the same on every
    device and run, and for a conditional GAN the labels 0 0 … 1 1 … (n / n_classes of each, so
    a grid of n_classes columns has one row per class), else None."""
    z = draw_noise(np.random.default_rng([config.seed, stream]), n, config.noise_dim, config.noise_range,
                   config.noise_prior)
    labels = np.arange(n) * config.n_classes // n if config.n_classes else None
    return tuple(None if a is None else backend.to_device(a, device) for a in (z, labels))


def quality_probe(config, splits, provenance, device):
    """(classifier, fixed z, real test images' feature statistics) where tinygan's MNIST
    classifier applies (the run trains on MNIST and the classifier ships), else None."""
    if provenance["data"]["fingerprint"] != data.MNIST_FINGERPRINT or not os.path.exists(classifier.PRETRAINED):
        print("note: the sample-quality columns stay empty: tinygan's classifier judges MNIST digits only")
        return None
    try:
        model, _ = classifier.load(device=device)
    except checkpoint.CheckpointError as error:
        cli.fail(str(error))
    test = backend.to_device(data.to_unit_float(splits["test"][0]), device)
    return model, fixed_input(config, N_QUALITY, 2, device), metrics.gaussian_statistics(model.classify(test)[0])


def train(run, stop):
    """Algorithm 1's outer loop (lines 1-9), one epoch of minibatches at a time."""
    gan, config, log = run.gan, run.config, run.log
    iteration, epoch, saved_at = run.iteration, run.epoch, time.monotonic()
    print(f"training on {run.provenance['device']}: {run.per_epoch} iterations an epoch, iterations "
          f"{iteration + 1}…{run.last_iteration}, k={config.k}, {config.generator_loss} G loss, {config.update} updates")
    while iteration < run.last_iteration and not stop.requested:                   # line 1
        real = run.batches.epoch(epoch, start_batch=(iteration - epoch * run.per_epoch) * config.k)
        epoch_end = min((epoch + 1) * run.per_epoch, run.last_iteration)
        while iteration < epoch_end and not stop.requested:
            lr, momentum = apply_paper_schedule(gan, config, iteration, epoch)
            log.record(run.iterate(real))                                           # lines 2-8
            iteration += 1
            if iteration % run.log_every == 0 or iteration == epoch_end or stop.requested:
                read_window(run, iteration, epoch)
        whole = iteration == (epoch + 1) * run.per_epoch
        epoch += whole
        if whole or iteration == run.last_iteration:             # an epoch, or a run's last part of one
            end_epoch(run, iteration, epoch if whole else epoch + 1, lr, momentum, whole)
        if (stop.requested or iteration == run.last_iteration or time.monotonic() - saved_at >= run.checkpoint_every
                or not os.path.exists(checkpoint_path(run.out))):       # a folder with a CSV always has one
            save_gan(checkpoint_path(run.out), gan, config, iteration, epoch, logbook=log.state(), **run.provenance)
            saved_at = time.monotonic()
    return iteration, epoch


def read_window(run, iteration, epoch):
    try:
        run.log.read_window(iteration, prefix=f"epoch {epoch + 1} | ")
    except Diverged as error:
        path = checkpoint_path(run.out)
        kept = f"the last good checkpoint is {path}" if os.path.exists(path) else "no checkpoint was written"
        cli.fail(f"{error}: training stopped; {kept}")


def end_epoch(run, iteration, epoch, lr, momentum, whole=True):
    """The epoch's CSV row (with the classifier's view of fixed samples), grid, kept checkpoint.
    A part of an epoch (the end of a --max-iters run) gets its row and grid too; a resumed run
    replaces that row with the whole epoch's."""
    quality = {"classes": "", "top_share": "", "inception": "", "frechet": ""}
    if run.quality:
        model, z, reference = run.quality
        quality = metrics.sample_quality(run.gan.generate(*z, train=False), model, reference)
    if run.config.objective == "wasserstein":      # the critic's estimate of W(p_data, p_g): E f(x) − E f(G(z))
        means = run.log.means()
        quality = {"wasserstein_estimate": round(means["mean_D_x"] - means["mean_D_G_z"], 6), **quality}
    momentum = momentum if run.config.optimizer == "momentum" else ""
    row = run.log.end_epoch(epoch, iteration, whole, lr=lr, momentum=momentum, **quality)
    warn_if_collapsed(run, row)
    samples = backend.to_host(run.gan.generate(*run.fixed, train=False))
    images.save_grid(samples, os.path.join(run.out, "samples", f"epoch_{epoch:03d}.png"))
    if whole and run.keep_every and epoch % run.keep_every == 0:
        save_gan(os.path.join(run.out, f"checkpoint_epoch_{epoch:03d}.npz"), run.gan, run.config, iteration,
                 epoch, logbook=run.log.state(), **run.provenance)


def warn_if_collapsed(run, row):
    """Prints one warning when, after the second epoch, two epochs in a row look collapsed (a run that
    trains can look so for one epoch and recover)."""
    top, mean_D_G_z = row["top_share"], row["mean_D_G_z"]
    collapsed = mean_D_G_z < COLLAPSE_D_FAKE or (top != "" and top > COLLAPSE_SHARE)
    run.collapsed_epochs = run.collapsed_epochs + 1 if collapsed and row["epoch"] > COLLAPSE_AFTER_EPOCH else 0
    if run.collapsed_epochs >= COLLAPSE_EPOCHS and not run.warned:
        run.warned = True
        print(f"warning: epochs {row['epoch'] - 1}–{row['epoch']} look collapsed: mean D(G(z)) {mean_D_G_z:.4f}, largest class share "
              f"{top or 'n/a'} (a run that trains keeps D(G(z)) above {COLLAPSE_D_FAKE} and no class above "
              f"{COLLAPSE_SHARE:.0%}). Such runs rarely recover: restart with another --seed, or with the "
              "default preset.", flush=True)


def finish(run):
    """After training (its last epoch, or a stop): the nearest-neighbour figure and the animation
    of the grids."""
    z, labels = run.fixed
    n = sample.N_NEAREST
    samples = backend.to_host(run.gan.generate(z[:n], None if labels is None else labels[:n], train=False))
    sample.save_nearest(samples, run.train_images, os.path.join(run.out, "samples_nearest.png"))
    grids = files.numbered(glob.glob(os.path.join(run.out, "samples", "epoch_*.png")))
    if grids:
        images.save_gif(grids, os.path.join(run.out, "samples.gif"))


def checkpoint_path(out):
    return os.path.join(out, "checkpoint.npz")


def main(argv=None, needs=None):
    """Trains as the command line says; needs: see ``prepare``. Returns the finished Run."""
    cli.sturdy_output()
    args = parse_args(argv)
    try:
        run = prepare(args, needs)
    except KeyboardInterrupt:
        cli.fail("interrupted before training began; nothing was written", 128 + signal.SIGINT)
    try:
        with runs.owned(run.out), cli.StopSignals() as stop:     # the folder is this run's until it ends
            claim(run.out, args)
            return train_and_finish(run, stop)
    except runs.FolderInUse as error:
        cli.fail(f"--out {error}")


def train_and_finish(run, stop):
    """Algorithm 1, then the closing figures (also when a signal stopped it), and the last line."""
    start, first_iteration = time.perf_counter(), run.iteration
    try:
        with np.errstate(over="ignore", invalid="ignore"):       # NaN: the log reports it
            run.iteration, run.epoch = train(run, stop)
        if run.iteration > first_iteration:
            finish(run)
    except OSError as error:            # a full disk, a folder removed under the run: files stay whole
        kept = checkpoint_path(run.out)
        cli.fail(f"cannot write {error.filename or run.out} ({error.strerror or error}); every file written "
                 f"before is whole" + (f": continue with --resume {kept}" if os.path.exists(kept) else ""))
    except CaptureError as error:
        cli.fail(f"--cuda-graph: {error}; train without --cuda-graph")
    if stop.requested:
        print(f"stopped: saved {checkpoint_path(run.out)} at iteration {run.iteration}; "
              f"continue with --resume {checkpoint_path(run.out)}" if run.iteration > first_iteration
              else "stopped before the first iteration: nothing was trained")
        sys.exit(stop.exit_status)
    print(f"done: {run.iteration - first_iteration} iterations in {time.perf_counter() - start:.1f} s; wrote {run.out}/")
    return run


if __name__ == "__main__":
    main()
