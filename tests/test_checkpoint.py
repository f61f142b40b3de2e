"""Checkpoints: atomic writes, no pickle, clear errors."""
import os

import numpy as np
import pytest

from tinygan import backend, checkpoint
from tinygan.checkpoint import average_generators, load_gan, save_gan
from tinygan.models import build_gan
from tinygan.presets import Config


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
    gan = build_gan(config, np.full(16, 0.3))
    for _, value, _ in gan.G.parameters():
        value += np.float32(shift)
    path = str(tmp_path / f"s{seed}_i{iteration}.npz")
    save_gan(path, gan, config, iteration=iteration, epoch=iteration // 2, data={"fingerprint": "f"})
    return path, gan


def test_averaged_generators_hold_the_mean_of_g_and_the_latest_d(device, tmp_path):
    early, first = _saved_run(tmp_path, shift=0.0, iteration=2)
    late, last = _saved_run(tmp_path, shift=1.0, iteration=6)
    gan, _, meta = average_generators([late, early], device)
    assert {backend.device_of(value) for _, value, _ in gan.G.parameters()} == {device}
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


# ----------------------------------------------------------------------------- files that lie

def test_an_entry_that_declares_more_than_it_holds_is_refused_before_allocating(tmp_path):
    """A 1 kB file whose header declares a (100000, 100000) float32 array (40 GB)."""
    import zipfile
    path = tmp_path / "huge.npz"
    with zipfile.ZipFile(path, "w") as archive, archive.open("G/0.W.npy", "w") as f:
        np.lib.format.write_array_header_1_0(f, {"descr": "<f4", "fortran_order": False, "shape": (100000, 100000)})
        f.write(b"\0" * 1000)
    with pytest.raises(checkpoint.CheckpointError, match=r"huge.npz: entry G/0.W declares a \(100000, 100000\) "
                                                         r"float32 array \(40,000,000,128 bytes\) but holds 1,128 bytes"):
        checkpoint.load(str(path))


@pytest.mark.parametrize("value", [np.arange(4), np.array(["a", "b"]), np.ones(3, np.complex64)], ids=["int", "str", "complex"])
def test_entries_that_are_not_floating_point_are_refused(value, tmp_path):
    path = tmp_path / "odd.npz"
    checkpoint.save(str(path), {"G/0.W": value}, {})
    with pytest.raises(checkpoint.CheckpointError, match=f"odd.npz: entry G/0.W holds {value.dtype} values"):
        checkpoint.load(str(path))


def small_checkpoint(path, **meta_changes):
    """A small GAN's checkpoint with its metadata changed, and its arrays changed by ``arrays``."""
    config = Config(G_hidden=8, D_units=4, D_pieces=2)
    arrays_change = meta_changes.pop("arrays", {})
    gan = build_gan(config, np.full(784, 0.2))
    save_gan(str(path), gan, config, 3, 0)
    arrays, meta = checkpoint.load(str(path))
    checkpoint.save(str(path), {**arrays, **arrays_change}, {**meta, **meta_changes})
    return path


@pytest.mark.parametrize("change, problem", [
    ({"iteration": 2.5}, r"iteration = 2\.5"),
    ({"epoch": -1}, "epoch = -1"),
    ({"rng": "not a state"}, "rng = 'not a state'"),
    ({"rng": 5}, "rng = 5"),
    ({"logbook": "x"}, "logbook = 'x'"),
    ({"data": {"fingerprint": 3}}, "data = "),
    ({"contents": "everything"}, "contents = 'everything'"),
    ({"config": {**Config().to_dict(), "G_hidden": 1e7}}, "G_hidden: expected a whole number"),
])
def test_damaged_metadata_is_named(change, problem, tmp_path):
    path = small_checkpoint(tmp_path / "bad.npz", **change)
    with pytest.raises(checkpoint.CheckpointError, match=f"bad.npz: metadata is incomplete or invalid .*{problem}"):
        load_gan(str(path))


def test_a_value_that_overflows_float32_is_refused(tmp_path):
    path = small_checkpoint(tmp_path / "big.npz", arrays={"G/0.b": np.full(8, 1e300)})
    with pytest.raises(checkpoint.CheckpointError, match=r"big.npz: parameter G/0.b holds NaN or infinite values \(as float32\)"):
        load_gan(str(path))


def test_networks_too_large_for_the_machine_are_refused_with_the_estimate(tmp_path):
    path = small_checkpoint(tmp_path / "vast.npz", config={**Config().to_dict(), "G_hidden": 10 ** 7})
    with pytest.raises(checkpoint.CheckpointError, match=r"vast.npz: this configuration needs at least [\d,.]+ GB, "
                                                         r"and this machine has [\d,.]+ GB free: lower G_hidden"):
        load_gan(str(path))
