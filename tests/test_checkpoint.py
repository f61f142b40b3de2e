"""Checkpoints: atomic writes, no pickle, clear errors."""
import os

import numpy as np
import pytest

from tinygan import checkpoint


def test_round_trip(tmp_path):
    path = str(tmp_path / "c.npz")
    arrays = {"G/0.W": np.arange(6.0).reshape(2, 3), "steps": np.asarray(3)}
    checkpoint.save(path, arrays, {"epoch": 2, "rng": "{}"})
    loaded, meta = checkpoint.load(path)
    assert meta == {"epoch": 2, "rng": "{}", "format": checkpoint.FORMAT}
    np.testing.assert_array_equal(loaded["G/0.W"], arrays["G/0.W"])
    assert os.listdir(tmp_path) == ["c.npz"]                 # no temporary file left behind


def test_a_crash_while_saving_keeps_the_old_checkpoint(tmp_path, monkeypatch):
    path = str(tmp_path / "c.npz")
    checkpoint.save(path, {"a": np.ones(3)}, {"epoch": 1})

    def crash(*args, **kwargs):
        raise OSError("disk full")
    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(OSError, match="disk full"):
        checkpoint.save(path, {"a": np.zeros(3)}, {"epoch": 2})
    arrays, meta = checkpoint.load(path)
    assert meta["epoch"] == 1 and arrays["a"].sum() == 3
    assert os.listdir(tmp_path) == ["c.npz"]


def test_truncated_file_is_named(tmp_path):
    path = tmp_path / "c.npz"
    checkpoint.save(str(path), {"a": np.ones(1000)}, {})
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(checkpoint.CheckpointError, match="c.npz: not a readable .npz checkpoint"):
        checkpoint.load(str(path))


def test_missing_and_foreign_files_are_named(tmp_path):
    with pytest.raises(checkpoint.CheckpointError, match="nothing.npz: no such checkpoint"):
        checkpoint.load(str(tmp_path / "nothing.npz"))
    np.savez(tmp_path / "other.npz", a=np.ones(2))
    with pytest.raises(checkpoint.CheckpointError, match="other.npz: not a tinygan checkpoint"):
        checkpoint.load(str(tmp_path / "other.npz"))


def test_pickled_objects_are_refused(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, __meta__=np.array("{}"), payload=np.array([{"a": 1}], dtype=object))
    with pytest.raises(checkpoint.CheckpointError, match="evil.npz"):
        checkpoint.load(str(path))


def test_a_checkpoint_of_the_old_maxout_layout_is_refused(tmp_path):
    path = tmp_path / "old.npz"
    np.savez(path, __meta__=np.array('{"format": "tinygan-1"}'), a=np.ones(2))
    with pytest.raises(checkpoint.CheckpointError, match="old.npz: checkpoint format 'tinygan-1'"):
        checkpoint.load(str(path))
