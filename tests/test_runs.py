"""Run folders: one owner at a time, and --overwrite's clearing of exactly what a run writes."""
import os

import pytest

from tinygan import runs


def test_a_folder_has_one_owner_until_its_owner_lets_go(tmp_path):
    with runs.owned(str(tmp_path / "run")):
        with pytest.raises(runs.FolderInUse, match=rf"run is in use by another run \(pid {os.getpid()}: "):
            with runs.owned(str(tmp_path / "run")):
                pass
    with runs.owned(str(tmp_path / "run")):        # released: a new owner is welcome
        pass


def test_clear_removes_what_a_run_writes_and_keeps_the_rest(tmp_path):
    written = ["checkpoint.npz", "checkpoint_epoch_010.npz", "checkpoint_epoch_010.parzen.json", "metrics.csv",
               "samples.gif", "samples_nearest.png", "samples/epoch_001.png", "per_digit.json"]
    others = ["notes.txt", "checkpoint_best.npz", "samples/favourite.png", "metrics.csv.bak"]
    os.makedirs(tmp_path / "samples")
    for name in written + others:
        (tmp_path / name).write_text("x")
    assert runs.held(str(tmp_path)) == ["checkpoint.npz", "metrics.csv"]
    kept = runs.clear(str(tmp_path))
    assert kept == sorted(os.path.join(*name.split("/")) for name in others)
    assert all(not (tmp_path / name).exists() for name in written) and runs.held(str(tmp_path)) == []
