"""examples/mnist_gan.py end to end on the shipped MNIST: its outputs, exact resume, and the
clear stops (architecture mismatch, NaN, no GPU)."""
import csv
import importlib.util
import os

import numpy as np
import pytest
from PIL import Image

from tinygan import backend, checkpoint

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "examples")


def load_example(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(EXAMPLES, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


mnist_gan = load_example("mnist_gan")


def run(out, *flags):
    mnist_gan.main(["--out", str(out), "--log-every", "2", "--batch-size", "50", *flags])
    return checkpoint.load(os.path.join(out, "checkpoint.npz"))


def test_short_run_writes_csv_grids_and_a_loadable_checkpoint(tmp_path):
    arrays, meta = run(tmp_path, "--max-iters", "3")
    with open(tmp_path / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == mnist_gan.CSV_COLUMNS and rows[0]["iteration"] == "3"
    assert 0 < float(rows[0]["d_real"]) < 1 and float(rows[0]["lr"]) < 0.1
    grid = Image.open(tmp_path / "samples" / "epoch_001.png")
    assert grid.size == (2 * (10 * 29 + 1),) * 2               # 10 × 10 samples of 28 px, 2× scale
    assert Image.open(tmp_path / "samples_nearest.png").size[0] > 0
    assert meta["iteration"] == 3 and meta["epoch"] == 0 and meta["options"]["batch_size"] == 50
    assert arrays["G/4.W"].shape == (1200, 784) and arrays["D/1.W"].shape == (784, 1200)


def test_resume_is_bit_identical_to_an_uninterrupted_run(tmp_path):
    straight, _ = run(tmp_path / "straight", "--max-iters", "7")
    run(tmp_path / "split", "--max-iters", "4")
    resumed, meta = run(tmp_path / "split", "--max-iters", "7",
                        "--resume", str(tmp_path / "split" / "checkpoint.npz"))
    assert meta["iteration"] == 7 and straight.keys() == resumed.keys()
    for name in straight:
        np.testing.assert_array_equal(resumed[name], straight[name], err_msg=name)


def test_a_checkpoint_of_another_architecture_is_refused(tmp_path):
    arrays, meta = run(tmp_path, "--max-iters", "1")
    arrays["D/1.W"] = np.zeros((784, 600), np.float32)       # a narrower D
    bad = str(tmp_path / "other.npz")
    checkpoint.save(bad, arrays, meta)
    with pytest.raises(SystemExit, match=r"cannot resume from .*other.npz: the checkpoint's discriminator "
                                         r"does not match this model: 1.W has shape \(784, 600\), the model needs \(784, 1200\)"):
        run(tmp_path, "--resume", bad, "--max-iters", "2")


def test_nan_stops_training_and_names_the_iteration(tmp_path):
    arrays, meta = run(tmp_path, "--max-iters", "2")
    arrays["G/0.W"][:] = np.nan
    poisoned = str(tmp_path / "poisoned.npz")
    checkpoint.save(poisoned, arrays, meta)
    with pytest.raises(SystemExit, match=r"non-finite loss at iteration 3 .*training stopped; "
                                         r"the last good checkpoint is .*checkpoint.npz"):
        run(tmp_path, "--resume", poisoned, "--max-iters", "6")
    _, kept = checkpoint.load(str(tmp_path / "checkpoint.npz"))
    assert kept["iteration"] == 2                               # the good one was not overwritten


def test_missing_gpu_is_a_clear_error(tmp_path):
    if backend.gpu_available():
        pytest.skip("a GPU is present")
    with pytest.raises(SystemExit, match="pip install cupy-cuda12x"):
        run(tmp_path, "--device", "cupy")


def test_bad_data_folder_is_a_clear_error(tmp_path):
    with pytest.raises(SystemExit, match="no train-images-idx3-ubyte"):
        run(tmp_path, "--data", str(tmp_path))


def test_keep_every_keeps_a_checkpoint_per_epoch(tmp_path, monkeypatch):
    splits = mnist_gan.data.load_mnist()
    small = {name: (images[:200], labels[:200]) for name, (images, labels) in splits.items()}
    monkeypatch.setattr(mnist_gan.data, "load_mnist", lambda folder: small)   # 4 batches an epoch
    run(tmp_path, "--max-iters", "10", "--keep-every", "2")
    kept = sorted(name for name in os.listdir(tmp_path) if name.startswith("checkpoint_epoch"))
    assert kept == ["checkpoint_epoch_002.npz"]
    assert checkpoint.load(tmp_path / kept[0])[1]["epoch"] == 2


def test_set_changes_one_of_the_papers_numbers_and_names_a_bad_one():
    config = mnist_gan.config_from_args(mnist_gan.parse_args(["--set", "d_irange=0.05", "--set", "d_keep_hidden=1"]))
    assert config.d_irange == 0.05 and config.d_keep_hidden == 1.0 and config.g_irange == 0.05
    for bad in ("d_range=0.05", "d_units=many", "d_irange"):
        with pytest.raises(ValueError, match=f"--set {bad}: expected NAME=VALUE"):
            mnist_gan.config_from_args(mnist_gan.parse_args(["--set", bad]))
