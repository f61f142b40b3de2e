"""Checkpoints: one .npz of named arrays plus a JSON header, written atomically, read
without pickle.

A crash while saving never leaves a broken file: the arrays go to a temporary file in the same
folder, which is flushed to disk and then renamed over the old checkpoint in one step.
"""
import json
import os
import zipfile

import numpy as np

META_KEY = "__meta__"  # the JSON header, stored as a 0-d unicode array
FORMAT = "tinygan-2"   # tinygan-1 stored Maxout's columns unit-major; same shapes, other meaning


class CheckpointError(ValueError):
    """A checkpoint is missing, corrupt or not a tinygan checkpoint; the message names the file."""


def save(path, arrays, meta):
    """Writes {name: host array} and a JSON-serialisable ``meta`` dict to ``path`` atomically,
    tagging ``meta`` with the checkpoint FORMAT."""
    meta = {**meta, "format": FORMAT}
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    temporary = os.path.join(folder, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as f:
            np.savez(f, **arrays, **{META_KEY: np.array(json.dumps(meta))})
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def load(path):
    """(arrays, meta) from a checkpoint written by ``save``. Never unpickles."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such checkpoint") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise CheckpointError(f"{path}: not a readable .npz checkpoint ({error})") from None
    if META_KEY not in arrays:
        raise CheckpointError(f"{path}: not a tinygan checkpoint (no {META_KEY} entry)")
    meta = json.loads(str(arrays.pop(META_KEY)))
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"{path}: checkpoint format {meta.get('format')!r}, but this tinygan "
                              f"reads {FORMAT!r} (tinygan-1 stored Maxout weights in another column "
                              "order, so its arrays would load with the right shapes and the wrong "
                              "meaning); retrain with this version")
    return arrays, meta
