"""Checkpoints: atomic writes, no pickle, clear errors."""
import os

import numpy as np
import pytest

from tinygan import backend, checkpoint
from tinygan.presets import Config, average_generators, paper_gan, save_gan


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


def _saved_run(tmp_path, seed=0, shift=0.0, iteration=1):
    """A small paper-style GAN with every G weight moved by ``shift``, saved at ``iteration``."""
    config = Config(noise_dim=4, G_hidden=12, D_units=6, D_pieces=3, batch_size=8, seed=seed)
    gan = paper_gan(config, np.full(16, 0.3))
    for _, params, _, key in gan.G.parameters():
        params[key] += np.float32(shift)
    path = str(tmp_path / f"s{seed}_i{iteration}.npz")
    save_gan(path, gan, config, iteration=iteration, epoch=iteration // 2, data={"fingerprint": "f"})
    return path, gan


def test_averaged_generators_hold_the_mean_of_g_and_the_latest_d(device, tmp_path):
    early, first = _saved_run(tmp_path, shift=0.0, iteration=2)
    late, last = _saved_run(tmp_path, shift=1.0, iteration=6)
    gan, _, meta = average_generators([late, early], device)
    assert {backend.device_of(params[key]) for _, params, _, key in gan.G.parameters()} == {device}
    for name, value in gan.G.state_dict().items():
        assert value.dtype == np.float32
        np.testing.assert_allclose(value, first.G.state_dict()[name] + 0.5, rtol=1e-6, err_msg=name)
    for name, value in gan.D.state_dict().items():
        np.testing.assert_array_equal(value, last.D.state_dict()[name])
    assert meta["iteration"] == 6 and meta["averaged_epochs"] == [1, 3]


def test_averaging_refuses_another_run_and_a_checkpoint_twice(tmp_path):
    path, _ = _saved_run(tmp_path)
    other, _ = _saved_run(tmp_path, seed=1)
    with pytest.raises(checkpoint.CheckpointError, match="s1_i1.npz: another run than .*s0_i1.npz"):
        average_generators([path, other])
    with pytest.raises(checkpoint.CheckpointError, match="iteration 1 is also"):
        average_generators([path, path])
