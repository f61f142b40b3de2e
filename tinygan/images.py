"""Pictures from arrays: sample grids and side-by-side figures as PNG files (Pillow).

Images come in as rows of pixels in [0, 1] on the host: (N, H·W) or (N, H, W).
"""
import os

import numpy as np
from PIL import Image


def tile(images, cols, image_shape=(28, 28), pad=1, pad_value=1.0):
    """(N, H·W) or (N, H, W) in [0, 1] -> one (rows·(H+pad)+pad, cols·(W+pad)+pad) uint8 array,
    row-major, with ``pad`` pixels of ``pad_value`` between and around the images."""
    images = np.asarray(images, dtype=np.float32).reshape(-1, *image_shape)
    rows = -(-len(images) // cols)
    height, width = image_shape
    canvas = np.full((rows * (height + pad) + pad, cols * (width + pad) + pad), pad_value, np.float32)
    for i, image in enumerate(images):
        top, left = pad + (i // cols) * (height + pad), pad + (i % cols) * (width + pad)
        canvas[top:top + height, left:left + width] = image
    return (np.clip(canvas, 0, 1) * 255).round().astype(np.uint8)


def save_png(array, path, scale=1):
    """Writes a uint8 (H, W) grey or (H, W, 3) colour array as a PNG, enlarged ``scale`` times."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    image = Image.fromarray(array)
    if scale != 1:
        image = image.resize((image.width * scale, image.height * scale), Image.NEAREST)
    image.save(path)


def save_grid(images, path, cols=10, image_shape=(28, 28), scale=2):
    """A grid of images as a PNG (e.g. 100 samples as 10 × 10)."""
    save_png(tile(images, cols, image_shape), path, scale)


def save_pairs(left, right, path, pairs_per_row=5, image_shape=(28, 28), scale=2):
    """Each left[i] with right[i] beside it (the paper's Figure 2: a sample and its nearest
    training image): a thin line inside a pair, a wide gap between pairs."""
    line = np.ones((len(left), image_shape[0], 1), np.float32)
    pairs = np.concatenate([np.asarray(left).reshape(-1, *image_shape), line,
                            np.asarray(right).reshape(-1, *image_shape)], axis=2)
    save_png(tile(pairs, pairs_per_row, pairs.shape[1:], pad=6), path, scale)
