"""Training data: MNIST-style IDX files and the paper's splits, or a folder of your own PNG/JPEG
images; shuffled minibatches of either.

An IDX file is a 4-byte magic number (two zero bytes, a dtype code, the number of dimensions),
one big-endian uint32 per dimension, then the values, row-major and big-endian. The loader checks
every part of that against the file and says which file is wrong and how.
"""
import collections
import gzip
import hashlib
import os
import re
import zlib
from dataclasses import dataclass

import numpy as np
from PIL import Image

from . import backend

IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
              0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
GZIP_MAGIC = b"\x1f\x8b"
MNIST_FILES = {"train_images": "train-images-idx3-ubyte", "train_labels": "train-labels-idx1-ubyte",
               "test_images": "t10k-images-idx3-ubyte", "test_labels": "t10k-labels-idx1-ubyte"}
CHECKSUM_FILE = "RAW-SHA256SUMS"
N_TRAIN = 50000  # the paper's split: train = train[0:50000], valid = train[50000:60000]
MNIST_FINGERPRINT = "c80ceb24eedca80f"   # ``fingerprint`` of MNIST's train[0:50000] images
SHIPPED_MNIST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "mnist")


class DataError(ValueError):
    """A data file is missing, corrupt or inconsistent; the message names the file."""


@dataclass
class Dataset:
    """What ``load`` found: splits {"train": (images, labels), …} of uint8 rows (N, H·W·C) on the
    host (labels None for a folder of images), the (H, W, C) shape of a row, and a note on what
    loading changed (images converted to another mode), to be said once."""
    splits: dict
    image_shape: tuple
    note: str = ""


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
MODES = {1: "L", 3: "RGB"}      # channels: Pillow's mode


def load(folder, channels=None, size=None):
    """The training data in ``folder``: MNIST-format IDX files (1 × 28 × 28, the paper's train,
    valid and test splits; ``load_mnist``) or, failing those, every PNG and JPEG image in it or
    below it (``load_image_folder``: a train split without labels, ``channels`` 1 or 3 and
    ``size`` × ``size``, 1 and 28 by default). Raises DataError naming the file at fault."""
    idx = [os.path.join(folder, MNIST_FILES["train_images"] + end) for end in (".gz", "")]
    if folder == SHIPPED_MNIST or any(os.path.exists(path) for path in idx):
        if (channels or 1) != 1 or (size or IMAGE_SHAPE[0]) != IMAGE_SHAPE[0]:
            raise DataError(f"{folder}: MNIST-format files hold 1 × 28 × 28 images; --channels and "
                            "--image-size convert a folder of PNG or JPEG images")
        return Dataset(load_mnist(folder), (*IMAGE_SHAPE, 1))
    if not os.path.isdir(folder):
        raise DataError(f"{folder}: no such folder")
    return load_image_folder(folder, channels or 1, size or IMAGE_SHAPE[0])


def load_image_folder(folder, channels=1, size=28):
    """Every PNG and JPEG file in ``folder`` or below it, in the order of their sorted paths (so a
    run is reproducible), converted to grey (channels 1) or RGB (3), cropped to the central square
    and resized to size × size: a Dataset of uint8 rows (N, size·size·channels), each pixel's
    channels side by side."""
    names = sorted(os.path.relpath(os.path.join(place, name), folder) for place, _, found in os.walk(folder)
                   for name in found if name.lower().endswith(IMAGE_SUFFIXES))
    if not names:
        raise DataError(f"{folder}: no {MNIST_FILES['train_images']}(.gz) of MNIST-format data and no PNG or "
                        "JPEG images in it or below it")
    rows, modes = np.empty((len(names), channels * size * size), np.uint8), collections.Counter()
    for i, name in enumerate(names):
        path = os.path.join(folder, name)
        try:
            with Image.open(path) as image:
                image.load()                                  # a truncated file fails here
                modes[image.mode] += 1
                pixels = np.asarray(central_square(image.convert(MODES[channels]), size))
        except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as error:
            raise DataError(f"{path}: not a readable PNG or JPEG image ({error})") from None
        rows[i] = pixels.reshape(-1)
    others = {mode: n for mode, n in modes.items() if mode != MODES[channels]}
    note = (f"{folder}: converted {sum(others.values())} of {len(names)} images ("
            + ", ".join(f"{n} {mode}" for mode, n in sorted(others.items())) + f") to {MODES[channels]}") if others else ""
    return Dataset({"train": (rows, None)}, (size, size, channels), note)


def central_square(image, size):
    """A Pillow image cropped to its central square and resized to size × size (Lanczos)."""
    width, height = image.size
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    image = image.crop((left, top, left + side, top + side))
    return image if image.size == (size, size) else image.resize((size, size), Image.Resampling.LANCZOS)


def read_bytes(path):
    """The file's decompressed bytes (gzip is detected by its magic number, not the name)."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
        return gzip.decompress(raw) if raw[:2] == GZIP_MAGIC else raw
    except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as error:
        raise DataError(f"{path}: cannot read ({error})") from None


def parse_idx(data, path="<bytes>"):
    """The array stored in IDX bytes, with its header checked against the data's length."""
    if len(data) < 4:
        raise DataError(f"{path}: truncated: {len(data)} bytes, too short for an IDX header")
    zero, dtype_code, ndim = int.from_bytes(data[:2], "big"), data[2], data[3]
    if zero != 0 or dtype_code not in IDX_DTYPES:
        raise DataError(f"{path}: wrong magic number 0x{data[:4].hex()}: expected 0x0000 then a "
                        f"dtype code in {[hex(c) for c in IDX_DTYPES]}")
    header_length = 4 + 4 * ndim
    if ndim == 0 or len(data) < header_length:
        raise DataError(f"{path}: truncated header: {ndim} dimensions need {header_length} bytes")
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(IDX_DTYPES[dtype_code])
    expected = header_length + int(np.prod(shape)) * dtype.itemsize
    if len(data) != expected:
        problem = "truncated" if len(data) < expected else "has trailing bytes"
        raise DataError(f"{path}: {problem}: header says {shape} of {dtype.name}, which needs "
                        f"{expected} bytes, but the file has {len(data)}")
    return np.frombuffer(data, dtype, offset=header_length).reshape(shape).astype(dtype.newbyteorder("="))


def read_checksums(folder):
    """{file name: SHA-256 hex of its decompressed bytes} from ``folder/RAW-SHA256SUMS``, or {}."""
    path = os.path.join(folder, CHECKSUM_FILE)
    if not os.path.exists(path):
        return {}
    checksums = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for number, line in enumerate(f, 1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) != 2 or not re.fullmatch(r"[0-9a-f]{64}", fields[0]):
                raise DataError(f"{path}: line {number} is not '<SHA-256 in hex> <file name>'")
            checksums[fields[1]] = fields[0]
    return checksums


def find_idx_file(folder, name):
    """``folder/name.gz`` or ``folder/name``, whichever exists."""
    for candidate in (name + ".gz", name):
        path = os.path.join(folder, candidate)
        if os.path.exists(path):
            return path
    raise DataError(f"{folder}: no {name}.gz or {name}: expected the four standard IDX files "
                    f"({', '.join(MNIST_FILES.values())})")


def read_idx(folder, name, checksums):
    """The array in one IDX file, after checking its SHA-256 where ``checksums`` lists it."""
    path = find_idx_file(folder, name)
    data = read_bytes(path)
    if name in checksums and hashlib.sha256(data).hexdigest() != checksums[name]:
        raise DataError(f"{path}: SHA-256 of the decompressed bytes is "
                        f"{hashlib.sha256(data).hexdigest()}, {CHECKSUM_FILE} expects {checksums[name]}")
    return parse_idx(data, path)


IMAGE_SHAPE = (28, 28)


def load_mnist(folder=SHIPPED_MNIST, image_shape=IMAGE_SHAPE):
    """The paper's splits of an MNIST-format folder (MNIST, Fashion-MNIST, ...).

    Returns {"train", "valid", "test"} -> (images, labels): images (N, H·W) uint8 on the host,
    labels (N,) uint8. train = train[0:50000], valid = train[50000:], test = the t10k files.
    folder defaults to the MNIST shipped in the repository (data/mnist). image_shape: the (H, W)
    every image must have (28 × 28: tinygan's networks, grids and classifier), or None for any.
    """
    if folder == SHIPPED_MNIST and not os.path.isdir(folder):
        raise DataError(f"{folder}: the MNIST files ship in a source checkout of tinygan (data/mnist); "
                        "from an installed copy, pass the folder that holds them (--data DIR)")
    checksums = read_checksums(folder)
    arrays = {key: read_idx(folder, name, checksums) for key, name in MNIST_FILES.items()}
    for split in ("train", "test"):
        images, labels = arrays[split + "_images"], arrays[split + "_labels"]
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise DataError(f"{folder}: {MNIST_FILES[split + '_images']} holds {images.shape} and "
                            f"{MNIST_FILES[split + '_labels']} holds {labels.shape}: expected "
                            "(N, rows, cols) images and N labels")
    for split in ("train", "test"):
        shape = arrays[split + "_images"].shape[1:]
        if image_shape is not None and shape != tuple(image_shape):
            raise DataError(f"{folder}: {MNIST_FILES[split + '_images']} holds {shape[0]}×{shape[1]} images; "
                            f"tinygan's MNIST networks, grids and classifier take {image_shape[0]}×{image_shape[1]}")
    if len(arrays["train_images"]) <= N_TRAIN:
        raise DataError(f"{folder}: the training set has {len(arrays['train_images'])} images; "
                        f"the paper's split needs more than {N_TRAIN}")
    train_x = arrays["train_images"].reshape(len(arrays["train_images"]), -1)
    test_x = arrays["test_images"].reshape(len(arrays["test_images"]), -1)
    train_y, test_y = arrays["train_labels"], arrays["test_labels"]
    return {"train": (train_x[:N_TRAIN], train_y[:N_TRAIN]),
            "valid": (train_x[N_TRAIN:], train_y[N_TRAIN:]),
            "test": (test_x, test_y)}


def fingerprint(images):
    """A short content hash of an image array (the first 16 hex digits of the SHA-256 of its
    bytes): checkpoints record it, so a run is never resumed or scored on other data."""
    return hashlib.sha256(np.ascontiguousarray(backend.to_host(images)).tobytes()).hexdigest()[:16]


def to_unit_float(images):
    """uint8 pixels (any shape, any device) -> float32 in [0, 1]."""
    return images.astype(np.float32) * np.float32(1 / 255)


class Minibatches:
    """Shuffled float32 minibatches of the rows of ``images`` (uint8, on any device), with the
    matching rows of ``labels`` when given.

    The order of epoch e is a permutation drawn from the seed (seed, e), so an epoch can be
    resumed at any batch. The permutation is copied to the device once per epoch; the batches
    are then gathered and scaled there. The last incomplete batch is dropped.
    """

    def __init__(self, images, batch_size, seed, labels=None):
        if not 0 < batch_size <= len(images):
            raise ValueError(f"batch size {batch_size} must be in 1..{len(images)}")
        self.images, self.labels, self.batch_size, self.seed = images, labels, batch_size, seed
        self.batches_per_epoch = len(images) // batch_size

    def epoch(self, epoch, start_batch=0):
        """Yields (batch_size, n_features) float32 batches of epoch ``epoch`` from batch ``start_batch``,
        or (batch, (batch_size,) labels) pairs when the minibatches have labels."""
        order = np.random.default_rng([self.seed, epoch]).permutation(len(self.images))
        order = backend.to_device(order, backend.device_of(self.images))
        for i in range(start_batch, self.batches_per_epoch):
            rows = order[i * self.batch_size:(i + 1) * self.batch_size]
            x = to_unit_float(self.images[rows])
            yield x if self.labels is None else (x, self.labels[rows])
