"""Writing files so that nothing is ever half-written, and listing numbered files in order.

``atomic_write(path)`` hands out a temporary file in the same folder; only when the block ends
without an error is the file flushed to disk and renamed over ``path`` in one step. A crash,
a kill or a full disk leaves the old file as it was (and, at worst, a stale temporary file,
which the next write to the same path removes once the process that left it has ended).

``numbered(paths)`` orders files by the numbers in their names: a run's epoch_999.png comes
before epoch_1000.png, which string order would put between epoch_100 and epoch_101.
"""
import contextlib
import glob
import os
import re


def _temporary_name(path):
    folder, name = os.path.split(os.path.abspath(path))
    return os.path.join(folder, f".{name}.{os.getpid()}.tmp"), os.path.join(folder, f".{name}.*.tmp")


def _alive(pid):
    """Whether a process with this pid runs (this one included)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:                         # alive, another user's
        return True
    return True


@contextlib.contextmanager
def atomic_write(path, mode="wb"):
    """``with atomic_write(path) as f: ...`` writes ``path`` all at once or not at all.
    mode: "wb" or "w" (text, UTF-8)."""
    temporary, stale = _temporary_name(path)
    os.makedirs(os.path.dirname(temporary), exist_ok=True)
    for old in glob.glob(stale):                    # left by a save that was killed, not a live one
        if not _alive(int(old.rsplit(".", 2)[-2])):
            with contextlib.suppress(OSError):
                os.remove(old)
    try:
        with open(temporary, mode, **({} if "b" in mode else {"encoding": "utf-8", "newline": ""})) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)


def numbered(paths):
    """``paths`` sorted as strings, except that each run of digits compares as a number."""
    def key(path):
        return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path)]
    return sorted(paths, key=key)
