"""Checkpoints: one .npz of named arrays plus a JSON header, written atomically, read
without pickle; and a GAN's checkpoint in that format (``save_gan``, ``load_gan``,
``average_generators``).

A crash while saving never leaves a broken file (``files.atomic_write``).
"""
import json
import zipfile

import numpy as np

import os

from . import backend, data, files
from .models import build_gan
from .presets import Config

ZIP_MAGIC = b"PK\x03\x04"  # an .npz file is a zip archive
META_KEY = "__meta__"  # the JSON header, stored as a 0-d unicode array
FORMAT = "tinygan-3"
OLD_FORMATS = {  # why an older checkpoint cannot be read as this one
    "tinygan-1": "it stored Maxout weights in another column order, so its arrays would load with "
                 "the right shapes and the wrong meaning",
    "tinygan-2": "it stored the training options apart from the configuration",
}


class CheckpointError(ValueError):
    """A checkpoint is missing, corrupt or not a tinygan checkpoint; the message names the file."""


def save(path, arrays, meta):
    """Writes {name: host array} and a JSON-serialisable ``meta`` dict to ``path`` atomically,
    tagging ``meta`` with the checkpoint FORMAT."""
    meta = {**meta, "format": FORMAT}
    with files.atomic_write(path) as f:
        np.savez(f, **arrays, **{META_KEY: np.array(json.dumps(meta))})


_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}


def _check_member(path, archive, member):
    """Reads one member's .npy header (before any of its data): a floating-point array (an integer
    scalar for a count, text for the JSON header) whose declared size is what the archive holds,
    so that a damaged or hostile file is refused before it can ask for gigabytes."""
    name = member.filename.removesuffix(".npy")
    with archive.open(member) as f:
        version = np.lib.format.read_magic(f)
        if version not in _HEADER_READERS:
            raise CheckpointError(f"{path}: entry {name} is a .npy file of version {version}, which tinygan does not write")
        shape, _, dtype = _HEADER_READERS[version](f)
        declared = int(np.prod(shape, dtype=np.float64)) * dtype.itemsize + f.tell()
    expected = "U" if name == META_KEY else "fi" if shape == () else "f"     # counts are integer scalars
    if dtype.kind not in expected:
        raise CheckpointError(f"{path}: entry {name} holds {dtype} values; a tinygan checkpoint holds "
                              "floating-point arrays")
    if declared != member.file_size:
        raise CheckpointError(f"{path}: entry {name} declares a {shape} {dtype} array "
                              f"({declared:,} bytes) but holds {member.file_size:,} bytes")


def load(path):
    """(arrays, meta) from a checkpoint written by ``save``. Never unpickles."""
    try:
        with open(path, "rb") as f:
            header = f.read(len(ZIP_MAGIC))
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such checkpoint") from None
    except OSError as error:
        raise CheckpointError(f"{path}: cannot read it ({error.strerror})") from None
    if header != ZIP_MAGIC:                # np.load would try other formats, pickle among them
        raise CheckpointError(f"{path}: not a .npz checkpoint (it does not start as a zip archive)")
    try:
        with np.load(path, allow_pickle=False) as archive:
            for member in archive.zip.infolist():
                _check_member(path, archive.zip, member)
            arrays = {name: archive[name] for name in archive.files}
    except CheckpointError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise CheckpointError(f"{path}: not a readable .npz checkpoint ({error})") from None
    if META_KEY not in arrays:
        raise CheckpointError(f"{path}: not a tinygan checkpoint (no {META_KEY} entry)")
    try:
        meta = json.loads(str(arrays.pop(META_KEY)))
    except ValueError as error:
        raise CheckpointError(f"{path}: its {META_KEY} entry is not valid JSON ({error})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else None
        why = OLD_FORMATS.get(found, "not a format this tinygan knows")
        raise CheckpointError(f"{path}: checkpoint format {found!r}, but this tinygan reads {FORMAT!r} "
                              f"({why}); retrain with this version")
    return arrays, meta


def save_gan(path, gan, config, iteration, epoch, generator_only=False, **provenance):
    """Writes a checkpoint of a run: both networks and optimisers, the configuration, the
    progress (iteration, epoch), the noise generator's state and any ``provenance`` entries.
    generator_only=True writes G's parameters alone (a few MB, to share a trained model): it
    samples and is scored like a checkpoint, but cannot resume training."""
    meta = {"config": config.to_dict(), "iteration": iteration, "epoch": epoch,
            "n_pixels": int(gan.G.out_features), "image_shape": list(gan.image_shape), "rng": backend.rng_state(gan.rng),
            "contents": "generator" if generator_only else "gan", **provenance}
    arrays = {f"G/{name}": value for name, value in gan.G.state_dict().items()} if generator_only else gan.state_dict()
    save(path, arrays, meta)


def load_gan(path, device="numpy"):
    """(gan, config, meta) from a file written by ``save_gan``, on ``device``, with its noise
    generator restored; from a generator-only file, D and the optimisers stay as initialised
    (meta["contents"] says which). Raises CheckpointError naming the file for anything that
    does not fit: metadata that is missing or invalid, non-finite weights, another model."""
    arrays, meta = load(path)
    if "config" not in meta:
        kind = f"it is a {meta['model']!r} file" if isinstance(meta.get("model"), str) else "it has no configuration"
        raise CheckpointError(f"{path}: not a GAN checkpoint ({kind})")
    try:
        config = Config(**meta["config"])
        for name, check in META_SCHEMA.items():
            if not check(meta.get(name)):
                raise ValueError(f"{name} = {meta.get(name)!r}")
        generator_only = meta["contents"] == "generator"
    except (KeyError, TypeError, ValueError) as error:
        raise CheckpointError(f"{path}: metadata is incomplete or invalid ({error})") from None
    for name, array in arrays.items():
        with np.errstate(over="ignore"):
            finite = array.dtype.kind != "f" or np.isfinite(array.astype(np.float32)).all()
        if not finite:
            raise CheckpointError(f"{path}: parameter {name} holds NaN or infinite values (as float32)")
    try:
        shape = meta.get("image_shape") or [meta["n_pixels"]]               # (older files: rows alone)
        gan = build_gan(config, np.full(shape, 0.5), device)                # the means: replaced by the weights
        if generator_only:
            gan.G.load_state_dict({name[2:]: value for name, value in arrays.items()}, what="the file's generator")
        else:
            gan.load_state_dict(arrays)
        gan.set_rng(backend.restore_rng(meta["rng"], device, [config.seed, meta["iteration"]]))
    except (KeyError, TypeError, ValueError) as error:
        raise CheckpointError(f"{path}: {error}") from None
    return gan, config, meta


def _count(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _rng_state(value):
    """None, or the JSON text of NumPy's generator state or of a CounterRNG's."""
    if value is None:
        return True
    try:
        state = json.loads(value)
    except (TypeError, ValueError):
        return False
    return isinstance(state, dict) and ("bit_generator" in state or isinstance(state.get("counter_rng"), dict))


META_SCHEMA = {     # what load_gan requires of a checkpoint's metadata besides its configuration
    "contents": lambda value: value in ("gan", "generator"),
    "iteration": _count,
    "epoch": _count,
    "n_pixels": lambda value: _count(value) and value > 0,
    "image_shape": lambda value: value is None or (isinstance(value, list) and 1 <= len(value) <= 3
                                                   and all(_count(v) and v > 0 for v in value)),
    "rng": _rng_state,
    "logbook": lambda value: value is None or (isinstance(value, dict) and _count(value.get("count"))
                                               and isinstance(value.get("sums"), list)
                                               and isinstance(value.get("seconds"), (int, float))),
    "data": lambda value: value is None or (isinstance(value, dict) and all(isinstance(value.get(k, ""), str)
                                                                            for k in ("folder", "fingerprint"))),
}


def average_generators(paths, device="numpy"):
    """(gan, config, meta) with G's weights the mean of those in the checkpoints ``paths``, all of
    one run (one configuration, one set of training images); D, the optimisers and meta are the
    latest checkpoint's, meta with "averaged_epochs" added. Only G is meant: export it with
    ``save_gan(..., generator_only=True)``.

    Checkpoint averaging (Izmailov et al., 2018; for GANs Yazıcı et al., 2019): where gradient
    play circles an equilibrium instead of settling on it (examples/bilinear_game.py), the mean
    of the iterates lies nearer the equilibrium than the iterates do. The mean is summed in
    float64 and stored in G's float32."""
    total, seen, first = None, {}, None         # seen: {iteration: (epoch, path)}
    for path in paths:
        gan, config, meta = load_gan(path)
        run = (config, meta.get("data", {}).get("fingerprint"))
        first = first or (path, run)
        if run != first[1]:
            raise CheckpointError(f"{path}: another run than {first[0]} (its configuration or "
                                             "training images differ); average the checkpoints of one run")
        if meta["iteration"] in seen:
            raise CheckpointError(f"{path}: iteration {meta['iteration']} is also "
                                             f"{seen[meta['iteration']][1]}; average each checkpoint once")
        seen[meta["iteration"]] = (meta["epoch"], path)
        state = {name: value.astype(np.float64) for name, value in gan.G.state_dict().items()}
        total = state if total is None else {name: total[name] + state[name] for name in state}
    gan, config, meta = load_gan(seen[max(seen)][1], device)
    gan.G.load_state_dict({name: value / len(paths) for name, value in total.items()})
    return gan, config, {**meta, "averaged_epochs": [seen[i][0] for i in sorted(seen)]}


def generator_fingerprint(gan):
    """{array name: ``data.fingerprint``} of G's weights: which generator a record speaks of."""
    return {name: data.fingerprint(value) for name, value in gan.G.state_dict().items()}


def check_trained_on(path, meta, folder, fingerprint):
    """Raises CheckpointError unless the generator in ``path`` (metadata ``meta``) was trained on
    the images of ``folder`` (their ``data.fingerprint``)."""
    trained_on = meta.get("data", {})
    if trained_on.get("fingerprint") != fingerprint:
        raise CheckpointError(f"{path} was trained on {trained_on.get('folder')}, not on the images in --data "
                              f"{folder}: pass the run's --data")


def describe(path, meta):
    """"path (epoch E)", and which epochs' generators were averaged where ``meta`` says so."""
    averaged = meta.get("averaged_epochs")
    mean = f"; G the mean of {len(averaged)} checkpoints, epochs {averaged[0]}–{averaged[-1]}" if averaged else ""
    return f"{path} (epoch {meta['epoch']}{mean})"


def record_path(checkpoint_path, kind):
    """Where a record of ``kind`` ("parzen", "validation") about a checkpoint is kept beside it:
    runs/x/c.npz -> runs/x/c.<kind>.json."""
    return os.path.splitext(checkpoint_path)[0] + f".{kind}.json"
