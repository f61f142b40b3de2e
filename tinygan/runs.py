"""A run folder: what a training run writes there, and its one owner.

A training run takes an advisory lock on its folder (``flock`` on ``.tinygan.lock``, a file that
holds the owner's pid and command) before it checks, writes or removes anything there, and keeps
it until it ends. A second process that wants the folder — a new run, ``--overwrite``,
``--resume`` — is refused with the owner's pid. The kernel releases the lock when its process
dies, however it dies, so a killed run never leaves the folder locked; the file stays behind,
harmless, and the next owner rewrites it.
"""
import contextlib
import os
import re
import sys

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
