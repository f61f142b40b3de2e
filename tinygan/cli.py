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


def positive_int(text):
    """argparse type: a whole number ≥ 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 1, got {value}")
    return value


def non_negative_float(text):
    """argparse type: a number ≥ 0 (seconds, say)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number ≥ 0, got {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"expected a number ≥ 0, got {text}")
    return value


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
