"""Checkpoints: one .npz of named arrays plus a JSON header, written atomically, read
without pickle.

A crash while saving never leaves a broken file (``files.atomic_write``).
"""
import json
import zipfile

import numpy as np

from . import files

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
