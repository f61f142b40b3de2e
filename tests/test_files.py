"""Atomic writes: all or nothing, and no temporary file left for long."""
import os
import subprocess
import sys

import pytest

from tinygan import files


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("old")
    with pytest.raises(OSError, match="disk full"):
        with files.atomic_write(str(path), "w") as f:
            f.write("half of the new")
            raise OSError("disk full")
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["a.txt"]


def test_a_stale_temporary_of_a_killed_writer_is_removed_by_the_next_write_and_a_live_ones_kept(tmp_path):
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    stale, live = tmp_path / f".a.txt.{ended.pid}.tmp", tmp_path / f".a.txt.{os.getppid()}.tmp"
    stale.write_text("left by a killed save")
    live.write_text("being written by a live process")
    with files.atomic_write(str(tmp_path / "a.txt"), "w") as f:
        f.write("new")
    assert sorted(os.listdir(tmp_path)) == [live.name, "a.txt"] and (tmp_path / "a.txt").read_text() == "new"


def test_numbered_files_follow_their_numbers_past_999():
    paths = ["run/samples/epoch_1000.png", "run/samples/epoch_101.png", "run/samples/epoch_100.png",
             "run/samples/epoch_999.png", "run/samples/epoch_002.png"]
    assert files.numbered(paths) == ["run/samples/epoch_002.png", "run/samples/epoch_100.png",
                                     "run/samples/epoch_101.png", "run/samples/epoch_999.png",
                                     "run/samples/epoch_1000.png"]
