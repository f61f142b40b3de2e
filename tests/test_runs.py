"""A training run: its flags, its fixed inputs, its collapse warning; its folder's one owner and
--overwrite's clearing of exactly what a run writes (end to end: test_mnist_example.py)."""
import os
from types import SimpleNamespace

import numpy as np
import pytest

from tinygan import runs
from tinygan.presets import PRESETS


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


def test_flags_and_set_make_one_configuration():
    config = runs.config_from_args(runs.parse_args("", 
        ["--set", "D_irange=0.05", "--set", "D_keep_hidden=1", "--k", "2", "--batch-size", "64"]))
    assert (config.D_irange, config.D_keep_hidden, config.k, config.batch_size) == (0.05, 1.0, 2, 64)
    paper = runs.config_from_args(runs.parse_args("", ["--preset", "paper"]))
    assert paper == PRESETS["paper"]
    default = runs.config_from_args(runs.parse_args("", []))
    changed = {name for name, value in default.to_dict().items() if paper.to_dict()[name] != value}
    assert changed == {"lr"} and default.update == "alternating" and default.lr == 0.2


def test_the_collapse_warning_waits_for_two_collapsed_epochs_in_a_row(capsys):
    """Epoch 3 of a run that trains can look collapsed (one class at 50 %) and recover at epoch 4;
    a collapsed run stays so. The warning fires once, at the second collapsed epoch in a row."""
    run_state = SimpleNamespace(collapsed_epochs=0, warned=False)
    rows = [(2, 0.001, 1.0), (3, 0.14, 0.5015), (4, 0.2, 0.34), (5, 0.003, 0.9), (6, 0.002, 1.0), (7, 0.002, 1.0)]
    warned_at = []
    for epoch, mean_D_G_z, top in rows:
        runs.Run.warn_if_collapsed(run_state, {"epoch": epoch, "mean_D_G_z": mean_D_G_z, "top_share": top})
        if capsys.readouterr().out:
            warned_at.append(epoch)
    assert warned_at == [6]


def test_a_script_names_its_own_preset_and_folder_and_a_resumed_run_keeps_its_checkpoints():
    args = runs.parse_args("", [], preset="wgan", out="runs/wgan")
    assert runs.config_from_args(args) == PRESETS["wgan"] and args.script_out == "runs/wgan"
    assert runs.config_from_args(runs.parse_args("", ["--preset", "paper"], preset="wgan")) == PRESETS["paper"]


def test_the_fixed_input_is_the_same_on_every_call_and_gives_a_conditional_grid_one_row_per_class():
    z, labels = runs.fixed_input(PRESETS["cgan"], 100, runs.GRID_DRAW, "numpy")
    again, _ = runs.fixed_input(PRESETS["cgan"], 100, runs.GRID_DRAW, "numpy")
    other, _ = runs.fixed_input(PRESETS["cgan"], 100, runs.QUALITY_DRAW, "numpy")
    np.testing.assert_array_equal(z, again)
    assert z.shape == (100, 100) and z.dtype == np.float32 and not np.array_equal(z, other)
    np.testing.assert_array_equal(labels.reshape(10, 10), np.repeat(np.arange(10), 10).reshape(10, 10))
    assert runs.fixed_input(PRESETS["default"], 100, runs.GRID_DRAW, "numpy")[1] is None
