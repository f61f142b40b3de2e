"""A run folder has one owner.

A training run takes an advisory lock on its folder (``flock`` on ``.tinygan.lock``, a file that
holds the owner's pid and command) before it checks, writes or removes anything there, and keeps
it until it ends. A second process that wants the folder — a new run, ``--overwrite``,
``--resume`` — is refused with the owner's pid. The kernel releases the lock when its process
dies, however it dies, so a killed run never leaves the folder locked; the file stays behind,
harmless, and the next owner rewrites it.
"""
import contextlib
import os
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
