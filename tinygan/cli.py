"""What every command-line program of tinygan shares: one-line errors and clean stops.

A bad flag ends with ``error: …`` on one line and exit status 2; a problem found while running
(a missing file, a corrupt checkpoint) with ``error: …`` and status 1. SIGINT (Ctrl-C) and
SIGTERM (what ``timeout`` and job schedulers send) set a flag that the training loop reads
between iterations, so a run saves before it stops and then exits with 130 or 143. The terminal
never ends a run: what it cannot encode is escaped, and a closed pipe (``| head -1``) only ends
the progress lines.
"""
import argparse
import contextlib
import os
import signal
import sys

from . import backend

USAGE_ERROR, RUNTIME_ERROR = 2, 1


class ArgumentParser(argparse.ArgumentParser):
    """argparse, with its error printed as one line ``error: …`` (exit status 2)."""

    def __init__(self, doc, **kwargs):
        super().__init__(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter, **kwargs)

    def error(self, message):
        fail(message, USAGE_ERROR)


def fail(message, status=RUNTIME_ERROR):
    """Ends the program with the one line ``error: message`` and ``status``."""
    print(f"error: {message}", file=sys.stderr)
    sys.exit(status)


def array_module(device):
    """The array module of --device, or the one-line error that says how to get CuPy."""
    try:
        return backend.get_xp(device)
    except RuntimeError as error:
        fail(str(error))


def at_least(minimum, convert=int, kind="a whole number"):
    """An argparse type: ``convert(text)``, refused below ``minimum`` (or when not a number)."""
    def parse(text):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {kind} ≥ {minimum}, got {text!r}") from None
        if not value >= minimum:                     # NaN too
            raise argparse.ArgumentTypeError(f"expected {kind} ≥ {minimum}, got {text}")
        return value
    return parse


positive_int = at_least(1)              # counts: epochs, batch sizes, iterations
seed = at_least(0)                      # random seeds
non_negative_float = at_least(0, float, "a number")   # seconds


def unwritable(path, folder=False):
    """Why a file (or, with folder=True, a folder) cannot be written at ``path``, or None: a name
    over 255 bytes, a folder where a file belongs (or the reverse), a file on the way, no write
    permission. Checked before any work, so that no result is computed only to be lost."""
    if any(len(part.encode()) > 255 for part in os.path.abspath(path).split(os.sep)):
        return f"{path}: a name in it is longer than 255 bytes"
    if os.path.isdir(path) != folder and os.path.exists(path):
        return f"{path} is a {'file' if folder else 'folder'}; expected a {'folder' if folder else 'file'}"
    existing = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
    while not os.path.isdir(existing):
        if os.path.exists(existing):
            return f"{path}: {existing} is a file, not a folder"
        existing = os.path.dirname(existing)
    if not os.access(existing, os.W_OK | os.X_OK) or (os.path.isfile(path) and not os.access(path, os.W_OK)):
        return f"{path}: {existing if not os.path.isfile(path) else path} is not writable"
    return None


def output_file(text):
    """argparse type: a path a file can be written at (see ``unwritable``)."""
    problem = unwritable(text)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return text


class StopSignals:
    """Within ``with``, SIGINT and SIGTERM set ``requested`` (and ``exit_status``: 128 + the
    signal's number) instead of ending the program mid-iteration."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __enter__(self):
        self.requested, self.exit_status = False, 0
        self._previous = {s: signal.signal(s, self._handle) for s in self.SIGNALS}
        return self

    def __exit__(self, *exc):
        for s, handler in self._previous.items():
            signal.signal(s, handler)

    def _handle(self, signum, frame):
        self.requested, self.exit_status = True, 128 + signum


def sturdy_output():
    """From now on stdout and stderr escape what their encoding cannot hold (a terminal that is not
    UTF-8), and a broken or closed stdout swallows what is printed instead of raising."""
    for stream in (sys.stdout, sys.stderr):
        if getattr(stream, "reconfigure", None) and stream.encoding.lower().replace("-", "") != "utf8":
            stream.reconfigure(errors="backslashreplace")
    if sys.stdout is not None and not isinstance(sys.stdout, _QuietWhenClosed):
        sys.stdout = _QuietWhenClosed(sys.stdout)


class _QuietWhenClosed:
    """A stream that, once its reader has gone, writes to /dev/null (its file descriptor too, so
    that Python's last flush at exit finds somewhere to write)."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text):
        try:
            return self.stream.write(text)
        except (BrokenPipeError, ValueError):          # ValueError: the stream was closed
            self._silence()
            return len(text)

    def flush(self):
        try:
            self.stream.flush()
        except (BrokenPipeError, ValueError):
            self._silence()

    def _silence(self):
        with contextlib.suppress(Exception):
            os.dup2(os.open(os.devnull, os.O_WRONLY), self.stream.fileno())
        self.stream = open(os.devnull, "w")

    def __getattr__(self, name):
        return getattr(self.stream, name)
