"""A training run and its folder: the command line that starts one, what it writes, and its one owner.

``prepare`` turns the command line into a ``Run`` (or one line of error, before anything is
written): the configuration, the data, the two networks — new, or as a checkpoint left them —
and what the run will write. The training loop itself is the example's (examples/mnist_gan.py):
it asks the Run for each epoch's minibatches, hands it each iteration's statistics, and calls
``end_epoch`` and ``finish``.

A run folder holds one run. A training run takes an advisory lock on its folder (``flock`` on
``.tinygan.lock``, a file that holds the owner's pid and command) before it checks, writes or
removes anything there, and keeps it until it ends. A second process that wants the folder — a
new run, ``--overwrite``, ``--resume`` — is refused with the owner's pid. The kernel releases the
lock when its process dies, however it dies, so a killed run never leaves the folder locked; the
file stays behind, harmless, and the next owner rewrites it.
"""
import contextlib
import glob
import os
import re
import signal
import sys
import time
from dataclasses import dataclass, replace

import numpy as np

from . import backend, checkpoint, classifier, cli, data, files, images, metrics
from .gan import NOISE_FOR_G, UPDATES, OptionError, draw_noise
from .graph import CaptureError, CapturedIteration
from .logbook import Diverged, Logbook
from .losses import GENERATOR_LOSSES
from .models import TooLarge, build_gan, pixel_means_of
from .presets import PRESETS, Config, preset_name

try:
    import fcntl
except ImportError:                    # Windows: no advisory locks, so no guard
    fcntl = None

LOCK_NAME = ".tinygan.lock"


class FolderInUse(RuntimeError):
    """Another live process owns the folder; the message names it."""


@contextlib.contextmanager
def owned(folder):
    """``with owned(folder):`` the folder (created if need be) is this process's alone.
    Raises FolderInUse, naming the owner's pid and command, if another process holds it."""
    os.makedirs(folder, exist_ok=True)
    descriptor = os.open(os.path.join(folder, LOCK_NAME), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if fcntl:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                owner = os.pread(descriptor, 4096, 0).decode("utf-8", "replace").strip() or "unknown"
                raise FolderInUse(f"{folder} is in use by another run (pid {owner}); wait for it to "
                                  "end, stop it, or choose another --out") from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{os.getpid()}: {' '.join(sys.argv)}\n".encode(), 0)
        yield
    finally:
        os.close(descriptor)           # closing releases the lock


RUN_FILE = re.compile(r"(checkpoint(_epoch_\d+)?\.npz|checkpoint(_epoch_\d+)?\.(parzen|validation)\.json|metrics\.csv"
                      r"|samples\.gif|samples_nearest\.png|wasserstein\.png|per_digit\.json|samples/epoch_\d+\.png)")
# what a run writes (the JSON records are parzen_eval.py's of its checkpoints, the last two mnist_wgan's and mnist_cgan's)


def held(folder):
    """The files that make ``folder`` hold a run ("checkpoint.npz", "metrics.csv"), those present."""
    return [name for name in ("checkpoint.npz", "metrics.csv") if os.path.exists(os.path.join(folder, name))]


def clear(folder):
    """Removes the files a run writes in ``folder``, named as a run names them, and nothing else;
    returns the other files it kept (paths relative to the folder)."""
    found = [os.path.relpath(os.path.join(place, name), folder)
             for place in (folder, os.path.join(folder, "samples")) if os.path.isdir(place) for name in os.listdir(place)]
    for name in found:
        if RUN_FILE.fullmatch(name.replace(os.sep, "/")):
            os.remove(os.path.join(folder, name))
    with contextlib.suppress(OSError):
        os.rmdir(os.path.join(folder, "samples"))             # only if nothing else is in it
    return sorted(name for name in found if not RUN_FILE.fullmatch(name.replace(os.sep, "/"))
                  and name not in ("samples", LOCK_NAME))


STATS = ["disc_loss", "gen_loss", "mean_D_x", "mean_D_G_z"]   # GAN.train_iteration's order
FLAGS = {"batch_size": "--batch-size", "k": "--k", "generator_loss": "--loss", "update": "--update",
         "G_noise": "--g-noise", "seed": "--seed"}         # flags that set a field of the Config
N_FIXED, N_QUALITY = 100, 2000                            # samples in each grid / each quality row
GRID_DRAW, QUALITY_DRAW = 1, 2                            # (seed, draw) seeds each set of fixed z
COLLAPSE_AFTER_EPOCH, COLLAPSE_SHARE, COLLAPSE_D_FAKE = 2, 0.5, 0.01   # what "looks collapsed" means,
COLLAPSE_EPOCHS = 2                                                   # ... this many epochs in a row


def parse_args(doc, argv=None, preset="default", out=os.path.join("runs", "mnist")):
    """The training flags, with ``doc`` as --help's text; ``preset`` and ``out`` are the script's
    defaults (a resumed run keeps its checkpoint's configuration and folder)."""
    parser = cli.ArgumentParser(doc)
    parser.add_argument("--epochs", type=cli.positive_int, default=100, help="epochs to train in all (default 100)")
    parser.add_argument("--preset", choices=sorted(PRESETS),
                        help=f"default: Algorithm 1 that trains (see the README); paper: mnist.yaml; "
                             f"wgan: a Wasserstein GAN; cgan: a conditional GAN; dcgan: convolutional networks (this script: {preset})")
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
    parser.add_argument("--data", default=data.SHIPPED_MNIST,
                        help="a folder with the four MNIST-format IDX files, or of PNG/JPEG images (searched recursively)")
    parser.add_argument("--channels", type=int, choices=sorted(data.MODES),
                        help="a folder of images: 1 (grey, the default) or 3 (RGB)")
    parser.add_argument("--image-size", type=cli.positive_int, metavar="PIXELS",
                        help="a folder of images: each is cropped to its central square and resized to this (default 28)")
    parser.add_argument("--out", help=f"output folder (default {out}, or the resumed checkpoint's folder)")
    parser.add_argument("--resume", metavar="CHECKPOINT", help="continue a run from its checkpoint")
    parser.add_argument("--overwrite", action="store_true", help="replace the run that --out holds")
    parser.add_argument("--max-iters", type=cli.positive_int, help="stop after this many iterations in all")
    parser.add_argument("--keep-every", type=cli.positive_int, metavar="N", help="keep checkpoint_epoch_NNN.npz every N epochs")
    parser.add_argument("--checkpoint-every", type=cli.non_negative_float, default=30, metavar="SECONDS",
                        help="rewrite checkpoint.npz at the first epoch end this long after the last "
                             "(default 30; 0: every epoch); a stop and the run's end always write it")
    parser.add_argument("--log-every", type=cli.positive_int, default=50, help="iterations between progress lines")
    parser.set_defaults(script_preset=preset, script_out=out)
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
        return replace(PRESETS[args.preset or args.script_preset], **settings_from_args(args))
    except OptionError as error:
        flag = FLAGS.get(error.name, f"--set {error.name}")
        raise ValueError(f"{flag}: expected {error.expected}") from None


@dataclass
class Run:
    """Everything a training run needs and where it stands, checked before anything is written."""
    gan: object
    config: Config
    batches: data.Minibatches
    log: Logbook
    out: str
    per_epoch: int             # iterations in an epoch
    iteration: int             # iterations done
    epoch: int                 # whole epochs done
    last_iteration: int
    provenance: dict           # the data's folder, fingerprint and image shape, the device: written into checkpoints
    train_images: np.ndarray   # (N, H·W·C) uint8 on the host, for the nearest-neighbour figure
    fixed: tuple               # (z, labels) of the grids: labels None, or one row per class
    quality: object            # (classifier, (z, labels), reference statistics), or None where it does not apply
    args: object               # the command line (--log-every, --keep-every, --checkpoint-every, …)
    iterate: object            # gan.train_iteration, or its CapturedIteration
    saved_at: float = 0.0      # time.monotonic() of the last checkpoint
    first_iteration: int = 0   # where this process took the run up
    collapsed_epochs: int = 0  # whole epochs in a row that looked collapsed
    warned: bool = False

    @property
    def checkpoint(self):
        return os.path.join(self.out, "checkpoint.npz")

    def epoch_end(self):
        """The iteration at which the current epoch (or the run) ends."""
        return min((self.epoch + 1) * self.per_epoch, self.last_iteration)

    def minibatches(self):
        """The current epoch's real minibatches, shuffled, from where the run stands in it."""
        done = self.iteration - self.epoch * self.per_epoch
        return self.batches.epoch(self.epoch, start_batch=done * self.config.k)

    def record(self, stats, stop):
        """Keeps one iteration's statistics ((4,) on the device) and, every --log-every iterations,
        at the epoch's end and on a stop, reads them back, checks them and prints a progress line."""
        self.log.record(stats)
        self.iteration += 1
        if self.iteration % self.args.log_every == 0 or self.iteration == self.epoch_end() or stop.requested:
            try:
                self.log.read_window(self.iteration, prefix=f"epoch {self.epoch + 1} | ")
            except Diverged as error:
                kept = (f"the last good checkpoint is {self.checkpoint}" if os.path.exists(self.checkpoint)
                        else "no checkpoint was written")
                cli.fail(f"{error}: training stopped; {kept}")

    def end_epoch(self, lr, momentum, stop):
        """After an epoch (or the part of one a run ends or stops in): the CSV row, with the
        classifier's view of fixed samples, and the grid for a whole epoch or the run's last part of
        one; the kept checkpoint every --keep-every epochs; checkpoint.npz when --checkpoint-every
        seconds have passed, on a stop, at the end, and whenever the folder has none. A resumed run
        replaces a part-epoch's row with the whole epoch's."""
        whole = self.iteration == (self.epoch + 1) * self.per_epoch
        self.epoch += whole
        if whole or self.iteration == self.last_iteration:
            self._write_epoch(self.epoch if whole else self.epoch + 1, lr, momentum, whole)
        if (stop.requested or self.iteration == self.last_iteration or not os.path.exists(self.checkpoint)
                or time.monotonic() - self.saved_at >= self.args.checkpoint_every):
            self.save(self.checkpoint)

    def _write_epoch(self, epoch, lr, momentum, whole):
        quality = {"classes": "", "top_share": "", "inception": "", "frechet": ""}
        if self.quality:
            model, z, reference = self.quality
            quality = metrics.sample_quality(self.gan.generate(*z, train=False), model, reference)
        if self.config.objective == "wasserstein":   # the critic's estimate of W(p_data, p_g): E f(x) − E f(G(z))
            means = self.log.means()
            quality = {"wasserstein_estimate": round(means["mean_D_x"] - means["mean_D_G_z"], 6), **quality}
        momentum = momentum if self.config.optimizer == "momentum" else ""
        row = self.log.end_epoch(epoch, self.iteration, whole, lr=lr, momentum=momentum, **quality)
        self.warn_if_collapsed(row)
        samples = backend.to_host(self.gan.generate(*self.fixed, train=False))
        images.save_grid(samples, os.path.join(self.out, "samples", f"epoch_{epoch:03d}.png"),
                         image_shape=self.gan.image_shape)
        if whole and self.args.keep_every and epoch % self.args.keep_every == 0:
            self.save(os.path.join(self.out, f"checkpoint_epoch_{epoch:03d}.npz"))

    def save(self, path):
        checkpoint.save_gan(path, self.gan, self.config, self.iteration, self.epoch, logbook=self.log.state(),
                            **self.provenance)
        if path == self.checkpoint:
            self.saved_at = time.monotonic()

    def warn_if_collapsed(self, row):
        """Prints one warning when, after the second epoch, two epochs in a row look collapsed (a run
        that trains can look so for one epoch and recover)."""
        top, mean_D_G_z = row["top_share"], row["mean_D_G_z"]
        collapsed = mean_D_G_z < COLLAPSE_D_FAKE or (top != "" and top > COLLAPSE_SHARE)
        self.collapsed_epochs = self.collapsed_epochs + 1 if collapsed and row["epoch"] > COLLAPSE_AFTER_EPOCH else 0
        if self.collapsed_epochs >= COLLAPSE_EPOCHS and not self.warned:
            self.warned = True
            print(f"warning: epochs {row['epoch'] - 1}–{row['epoch']} look collapsed: mean D(G(z)) {mean_D_G_z:.4f}, "
                  f"largest class share {top or 'n/a'} (a run that trains keeps D(G(z)) above {COLLAPSE_D_FAKE} and "
                  f"no class above {COLLAPSE_SHARE:.0%}). Such runs rarely recover: restart with another --seed, "
                  "or with the default preset.", flush=True)

    def finish(self):
        """After training (its last epoch, or a stop): the nearest-neighbour figure and the
        animation of the grids (nothing if nothing was trained)."""
        if self.iteration == self.first_iteration:
            return
        z, labels = self.fixed
        n = images.N_NEAREST
        samples = backend.to_host(self.gan.generate(z[:n], None if labels is None else labels[:n], train=False))
        images.save_nearest(samples, self.train_images, os.path.join(self.out, "samples_nearest.png"),
                            image_shape=self.gan.image_shape)
        grids = files.numbered(glob.glob(os.path.join(self.out, "samples", "epoch_*.png")))
        if grids:
            images.save_gif(grids, os.path.join(self.out, "samples.gif"))

    @contextlib.contextmanager
    def owned(self):
        """``with run.owned() as stop:`` the folder is this run's (refused if another run holds it)
        and Ctrl-C or SIGTERM sets ``stop.requested``. Afterwards the last line: where the run
        stopped (exiting with 128 + the signal) or how long it took. A file that cannot be written
        and a CUDA graph that cannot be captured end the run with one line."""
        start = time.perf_counter()
        try:
            with owned(self.out), cli.StopSignals() as stop, np.errstate(over="ignore", invalid="ignore"):
                claim(self.out, self.args)           # (NaN: the log reports it)
                self.saved_at = time.monotonic()
                print(f"training on {self.provenance['device']}: {self.per_epoch} iterations an epoch, iterations "
                      f"{self.iteration + 1}…{self.last_iteration}, k={self.config.k}, {self.config.generator_loss} "
                      f"G loss, {self.config.update} updates")
                yield stop
        except FolderInUse as error:
            cli.fail(f"--out {error}")
        except OSError as error:      # a full disk, a folder removed under the run: files stay whole
            kept = f": continue with --resume {self.checkpoint}" if os.path.exists(self.checkpoint) else ""
            cli.fail(f"cannot write {error.filename or self.out} ({error.strerror or error}); every file "
                     f"written before is whole{kept}")
        except CaptureError as error:
            cli.fail(f"--cuda-graph: {error}; train without --cuda-graph")
        if stop.requested:
            print(f"stopped: saved {self.checkpoint} at iteration {self.iteration}; continue with --resume "
                  f"{self.checkpoint}" if self.iteration > self.first_iteration
                  else "stopped before the first iteration: nothing was trained")
            sys.exit(stop.exit_status)
        print(f"done: {self.iteration - self.first_iteration} iterations in {time.perf_counter() - start:.1f} s; "
              f"wrote {self.out}/")


def prepare(args, needs=None):
    """A Run from the command line, or a one-line error (exit 2 for a flag, 1 for a file).
    needs: (what, test) for a script that trains one kind of GAN: a configuration that fails
    ``test`` is refused, saying ``what``."""
    try:
        return _prepare(args, needs)
    except KeyboardInterrupt:
        cli.fail("interrupted before training began; nothing was written", 128 + signal.SIGINT)


def _prepare(args, needs):
    """``prepare`` in the order a reader would check it: the configuration and the folder, the
    data, the networks, how long to train, the labels, and what the run starts from."""
    config, out = _configuration(args)
    try:
        dataset = data.load(args.data, args.channels, args.image_size)
    except data.DataError as error:
        cli.fail(str(error))
    if dataset.note:
        print(f"note: {dataset.note}")
    train_images, train_labels = dataset.splits["train"]
    provenance = {"data": {"folder": os.path.abspath(args.data), "fingerprint": data.fingerprint(train_images),
                           "image_shape": list(dataset.image_shape)}, "device": args.device}
    gan, config, meta = _networks(args, config, dataset, provenance)
    iteration, epoch = (meta["iteration"], meta["epoch"]) if meta else (0, 0)
    if needs and not needs[1](config):
        source = args.resume if meta else f"--preset {args.preset or args.script_preset}"
        cli.fail(f"{source}: {needs[0]}; this run's configuration is {preset_name(config)}", cli.USAGE_ERROR)
    per_epoch, last_iteration = _length(args, config, len(train_images), iteration, epoch)
    labels = _labels(args, config, train_labels)
    try:
        iterate = CapturedIteration(gan) if args.cuda_graph else gan.train_iteration
    except ValueError as error:
        cli.fail(f"--cuda-graph: {error}", cli.USAGE_ERROR)
    log = Logbook(os.path.join(out, "metrics.csv"), STATS, last_iteration)
    if meta:
        try:
            log.restore(meta["logbook"], iteration, per_epoch)
        except ValueError as error:
            cli.fail(f"{error}: resuming needs the run's own metrics.csv")
    device_images = backend.to_device(train_images, args.device)           # uint8, copied once
    return Run(gan, config, data.Minibatches(device_images, config.batch_size, config.seed, labels), log, out,
               per_epoch, iteration, epoch, last_iteration, provenance, train_images,
               fixed_input(config, N_FIXED, GRID_DRAW, args.device),
               quality_probe(config, dataset.splits, provenance, args.device), args, iterate, first_iteration=iteration)


def _configuration(args):
    """(config, out folder) from the flags; one line for a bad flag, a missing CuPy or a folder
    that cannot be written."""
    if args.cuda_graph and args.device != "cupy":
        cli.fail("--cuda-graph: expected --device cupy (a CUDA graph records GPU kernels)", cli.USAGE_ERROR)
    try:
        backend.get_xp(args.device)
        config = config_from_args(args)
    except (RuntimeError, ValueError) as error:
        cli.fail(str(error), cli.USAGE_ERROR if isinstance(error, ValueError) else cli.RUNTIME_ERROR)
    out = args.out or (os.path.dirname(os.path.abspath(args.resume)) if args.resume else args.script_out)
    problem = cli.unwritable(out, folder=True)
    if problem:
        cli.fail(f"--out {problem}", cli.USAGE_ERROR)
    return config, out


def _networks(args, config, dataset, provenance):
    """(gan, config, meta): the checkpoint's GAN, configuration and metadata for --resume (refused if
    it is a generator alone, another configuration or other data), else a new GAN and meta None."""
    if args.resume:
        try:
            gan, config, meta = checkpoint.load_gan(args.resume, args.device)
        except checkpoint.CheckpointError as error:
            cli.fail(str(error))
        if meta["contents"] != "gan":
            cli.fail(f"{args.resume} holds a generator only: training resumes from a run's checkpoint.npz")
        check_resume(args, config, meta, provenance)
        return gan, config, meta
    try:
        return build_gan(config, pixel_means_of(dataset.splits["train"][0], dataset.image_shape), args.device), config, None
    except TooLarge as error:
        cli.fail(str(error), cli.USAGE_ERROR)
    except ValueError as error:          # images the architecture cannot take
        cli.fail(f"--image-size {dataset.image_shape[0]}: {error}", cli.USAGE_ERROR)


def _length(args, config, n_images, iteration, epoch):
    """(iterations an epoch, the last iteration) of a run that stands at ``iteration``; refuses one
    with nothing left to train."""
    per_epoch = (n_images // config.batch_size) // config.k
    if per_epoch == 0:
        cli.fail(f"--k {config.k} with --batch-size {config.batch_size}: an epoch of "
                 f"{n_images} images has fewer than k minibatches", cli.USAGE_ERROR)
    last_iteration = min(args.epochs * per_epoch, args.max_iters or np.inf)
    if last_iteration <= iteration:
        flag = f"--max-iters {args.max_iters}" if args.max_iters and args.max_iters <= iteration else f"--epochs {args.epochs}"
        cli.fail(f"{flag}: nothing left to train, the checkpoint is at epoch {epoch} (iteration {iteration})",
                 cli.USAGE_ERROR)
    return per_epoch, last_iteration


def _labels(args, config, train_labels):
    """A conditional GAN's training labels on the device (int64), or None for an unconditional one."""
    if not config.n_classes:
        return None
    if train_labels is None:
        cli.fail(f"--data {args.data}: a folder of images has no labels, and a conditional GAN (n_classes "
                 f"{config.n_classes}) learns from labelled images: use MNIST-format files", cli.USAGE_ERROR)
    if int(train_labels.max()) >= config.n_classes:
        cli.fail(f"--data {args.data}: labels up to {int(train_labels.max())}, but n_classes is "
                 f"{config.n_classes}", cli.USAGE_ERROR)
    return backend.to_device(train_labels.astype(np.int64), args.device)


def claim(out, args):
    """Within the folder's lock (``owned``): refuses to mix two runs in one folder, and clears the
    folder's run for --overwrite."""
    holds = held(out)
    if holds and not (args.resume or args.overwrite):
        cli.fail(f"--out {out} already holds a run ({holds[0]}): continue it with --resume "
                 f"{os.path.join(out, 'checkpoint.npz')}, choose another --out, or pass --overwrite", cli.USAGE_ERROR)
    if holds and args.resume and not os.path.samefile(out, os.path.dirname(os.path.abspath(args.resume))):
        cli.fail(f"--out {out} already holds another run ({holds[0]}): a resumed run continues in its own "
                 "folder or an empty one", cli.USAGE_ERROR)
    kept = clear(out) if args.overwrite and not args.resume else []
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


def fixed_input(config, n, draw, device):
    """(z, labels): n noise vectors drawn from (seed, draw) on the host, the same on every
    device and run, and for a conditional GAN the labels 0 0 … 1 1 … (n / n_classes of each, so
    a grid of n_classes columns has one row per class), else None."""
    z = draw_noise(np.random.default_rng([config.seed, draw]), n, config.noise_dim, config.noise_range,
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
    return model, fixed_input(config, N_QUALITY, QUALITY_DRAW, device), metrics.gaussian_statistics(model.classify(test)[0])
