"""The record of a training run, kept apart from the training loop.

Every iteration's statistics stay on the device as a small array; once per window they are read
back to the host in one copy (the loop's only host synchronisation), checked for NaN and
printed as a progress line. Their means make one CSV row per epoch, written atomically together
with the rows before it.
"""
import csv
import io
import os
import time

import numpy as np

from . import backend, files


class Diverged(RuntimeError):
    """A statistic became NaN or infinite; the message names the iteration."""


class Logbook:
    """stat_names: the names of the entries of each iteration's statistics array (n_stats,).

    ``record`` keeps one iteration's array, ``read_window`` reads the pending ones back,
    ``end_epoch`` turns the epoch's means and any extra columns into a CSV row. ``state`` and
    ``restore`` carry a half-finished epoch's sums through a checkpoint, so a resumed run writes
    the same rows as an uninterrupted one (timings aside).
    """

    def __init__(self, csv_path, stat_names, total_iterations):
        self.path, self.stat_names, self.total_iterations = csv_path, list(stat_names), total_iterations
        self.rows, self.pending = [], []
        self.sums, self.count, self.seconds = np.zeros(len(stat_names)), 0, 0.0
        self._window_start = time.perf_counter()

    def record(self, stats):
        """stats: (n_stats,) device array of one iteration."""
        self.pending.append(stats)

    def read_window(self, iteration, prefix=""):
        """Reads the pending iterations (the last one is ``iteration``) back to the host, raises
        Diverged at the first non-finite value, and prints the progress line."""
        if not self.pending:
            return
        rows = backend.to_host(backend.array_module(self.pending[0]).stack(self.pending))
        self.pending = []
        bad = np.flatnonzero(~np.isfinite(rows).all(axis=1))
        if len(bad):
            values = ", ".join(f"{name} {value:.4g}" for name, value in zip(self.stat_names, rows[bad[0]]))
            raise Diverged(f"non-finite statistics at iteration {iteration - len(rows) + bad[0] + 1} ({values})")
        self.sums += rows.sum(axis=0)
        self.count += len(rows)
        now = time.perf_counter()
        seconds, self._window_start = now - self._window_start, now
        self.seconds += seconds
        rate = len(rows) / max(seconds, 1e-9)
        eta = time.strftime("%H:%M:%S", time.gmtime((self.total_iterations - iteration) / rate))
        print(f"{prefix}iter {iteration}/{self.total_iterations} | {rate:.1f} it/s | ETA {eta} | "
              + " | ".join(f"{name} {value:.4f}" for name, value in zip(self.stat_names, rows[-1])), flush=True)

    def end_epoch(self, epoch, iteration, whole=True, **columns):
        """Writes one CSV row: epoch, iteration, the epoch's mean of every statistic, any other
        ``columns`` and the epoch's seconds; returns the row as a dict. After a whole epoch the sums start
        again; after a part of one (whole=False) they go on, and ``restore`` drops its row."""
        row = {"epoch": epoch, "iteration": iteration, **self.means(), **columns, "seconds": round(self.seconds, 3)}
        self.rows.append(row)
        self.write()
        if whole:
            self.sums, self.count, self.seconds = np.zeros(len(self.stat_names)), 0, 0.0
        return row

    def means(self):
        """{statistic name: its mean over the epoch so far}, rounded to 6 decimals."""
        means = self.sums / max(self.count, 1)
        return {name: round(float(m), 6) for name, m in zip(self.stat_names, means)}

    def write(self):
        """The whole CSV, rewritten atomically (a run's CSV is a few hundred rows)."""
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=list(self.rows[0]))
        writer.writeheader()
        writer.writerows(self.rows)
        with files.atomic_write(self.path, "w") as f:
            f.write(text.getvalue())

    def state(self):
        """The half-finished epoch, as JSON-ready values for a checkpoint."""
        return {"sums": self.sums.tolist(), "count": self.count, "seconds": self.seconds}

    def restore(self, state, iteration, per_epoch):
        """Continues a run at ``iteration``: the CSV rows of its whole epochs up to there, and the
        half-finished epoch's sums. ValueError if the CSV is not one tinygan wrote or lacks rows."""
        if os.path.exists(self.path):           # (a run resumed in a new folder starts a new CSV)
            self.rows = [row for row in read_rows(self.path)
                         if int(row["iteration"]) <= iteration and int(row["iteration"]) % per_epoch == 0]
            if len(self.rows) != iteration // per_epoch:
                raise ValueError(f"{self.path} holds {len(self.rows)} rows of whole epochs, and the run is "
                                 f"at epoch {iteration // per_epoch}")
        self.sums, self.count, self.seconds = np.array(state["sums"]), state["count"], state["seconds"]


def read_rows(path):
    """The rows of a metrics.csv (dicts of strings), each with a whole-number epoch, iteration and
    a number of seconds; ValueError, naming the file, if it is not such a CSV."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        for row in rows:
            int(row["epoch"]), int(row["iteration"]), float(row["seconds"])
    except (OSError, UnicodeDecodeError, csv.Error, KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{path} is not a metrics.csv that tinygan wrote ({error!r})") from None
    return rows
