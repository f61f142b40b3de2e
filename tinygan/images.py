"""Pictures from arrays, as PNG and GIF files (Pillow): sample grids, side-by-side figures and
animations. Line plots are matplotlib's (``plots``).

Images come in as rows of pixels in [0, 1] on the host, (N, H·W·C) with the (H, W, C) or (H, W)
shape of a row given (28 × 28 by default), or as pictures (N, H, W) grey or (N, H, W, 3) colour.
"""
import numpy as np
from PIL import Image

from . import data, files, metrics

N_NEAREST = 30      # pairs in the nearest-neighbour figure


def to_pictures(rows, image_shape):
    """(N, H·W·C) rows -> (N, H, W) grey or (N, H, W, C) colour pictures; image_shape is a row's
    (H, W, C), (H, W), or (n_pixels,) of a square grey image."""
    rows = np.asarray(rows, dtype=np.float32)
    if len(image_shape) == 1:
        side = int(round(np.sqrt(image_shape[0])))
        image_shape = (side, side)
    if len(image_shape) == 3 and image_shape[2] == 1:
        image_shape = image_shape[:2]
    return rows.reshape(-1, *image_shape)


def tile(images, cols, image_shape=(28, 28), pad=1, pad_value=1.0):
    """(N, H·W·C) rows (or pictures) in [0, 1] -> one uint8 picture, row-major, ``cols`` images to a
    row, with ``pad`` pixels of ``pad_value`` between and around them: (rows·(H+pad)+pad,
    cols·(W+pad)+pad), with a last axis of 3 for colour images."""
    images = np.asarray(images, np.float32) if np.ndim(images) > 2 else to_pictures(images, image_shape)
    rows = -(-len(images) // cols)
    height, width = images.shape[1:3]
    canvas = np.full((rows * (height + pad) + pad, cols * (width + pad) + pad, *images.shape[3:]), pad_value, np.float32)
    for i, image in enumerate(images):
        top, left = pad + (i // cols) * (height + pad), pad + (i % cols) * (width + pad)
        canvas[top:top + height, left:left + width] = image
    return (np.clip(canvas, 0, 1) * 255).round().astype(np.uint8)


def save_png(array, path, scale=1):
    """Writes a uint8 (H, W) grey or (H, W, 3) colour array as a PNG, enlarged ``scale`` times,
    atomically."""
    image = Image.fromarray(array)
    if scale != 1:
        image = image.resize((image.width * scale, image.height * scale), Image.NEAREST)
    with files.atomic_write(path) as f:
        image.save(f, format="PNG")


def save_gif(frame_paths, path, max_frames=100, seconds_per_frame=0.2, last_frame_seconds=2.0):
    """An animated GIF of the PNGs at ``frame_paths`` (e.g. the same fixed z's, epoch after
    epoch), looping, the last frame held for ``last_frame_seconds``. Of more than ``max_frames``
    PNGs it shows ``max_frames`` evenly spaced ones, the first and the last among them."""
    chosen = np.unique(np.linspace(0, len(frame_paths) - 1, min(len(frame_paths), max_frames)).round().astype(int))
    frames = [Image.open(frame_paths[i]) for i in chosen]
    durations = [round(1000 * seconds_per_frame)] * (len(frames) - 1) + [round(1000 * last_frame_seconds)]
    with files.atomic_write(path) as f:
        frames[0].save(f, format="GIF", save_all=True, append_images=frames[1:], duration=durations, loop=0)


def save_grid(images, path, cols=10, image_shape=(28, 28), scale=2):
    """A grid of images as a PNG (e.g. 100 samples as 10 × 10)."""
    save_png(tile(images, cols, image_shape), path, scale)


def save_pairs(left, right, path, pairs_per_row=5, image_shape=(28, 28), scale=2):
    """Each left[i] with right[i] beside it (the paper's Figure 2: a sample and its nearest
    training image): a thin line inside a pair, a wide gap between pairs."""
    left, right = to_pictures(left, image_shape), to_pictures(right, image_shape)
    line = np.ones((len(left), left.shape[1], 1, *left.shape[3:]), np.float32)
    pairs = np.concatenate([left, line, right], axis=2)
    save_png(tile(pairs, pairs_per_row, pad=6), path, scale)


def save_nearest(samples, train_images, path, image_shape=(28, 28)):
    """The paper's Figure 2: each of the first N_NEAREST samples (host float, (n, H·W·C) in [0, 1])
    beside the training image (host uint8, (N, H·W·C)) nearest to it in L2."""
    samples, pool = samples[:N_NEAREST], data.to_unit_float(train_images)
    nearest, _ = metrics.nearest_rows(samples, pool)
    save_pairs(samples, pool[nearest], path, image_shape=image_shape)
