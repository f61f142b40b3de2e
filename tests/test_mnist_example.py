"""examples/mnist_gan.py end to end on the shipped MNIST: its outputs, exact resume, and the
clear stops (bad flags, a folder that holds a run, architecture mismatch, NaN, no GPU)."""
import csv
import errno
import json
import os
import shutil
import signal
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

import strict_xp
from examples_helper import load_example
from tinygan import backend, checkpoint, data, files, images, runs

mnist_gan = load_example("mnist_gan")
ROOT = os.path.join(os.path.dirname(__file__), "..")


def run(out, *flags):
    """Runs the example with small batches; returns the checkpoint it wrote."""
    mnist_gan.main(["--out", str(out), "--log-every", "2", "--batch-size", "50", *flags])
    return checkpoint.load(os.path.join(out, "checkpoint.npz"))


def fails(capsys, status, *argv):
    """Runs the example expecting exit ``status``; returns the one line it printed on stderr."""
    with pytest.raises(SystemExit) as stop:
        mnist_gan.main([str(a) for a in argv])
    assert stop.value.code == status
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    return lines[0]


def read_csv(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def test_short_run_writes_csv_grids_gif_and_a_loadable_checkpoint(tmp_path):
    arrays, meta = run(tmp_path, "--max-iters", "3")
    rows = read_csv(tmp_path / "metrics.csv")
    assert list(rows[0])[:6] == ["epoch", "iteration", *runs.STATS]
    assert rows[0]["iteration"] == "3" and 0 < float(rows[0]["mean_D_x"]) < 1 and float(rows[0]["lr"]) == 0.2 / 1.000004 ** 2
    assert 1 <= int(rows[0]["classes"]) <= 10 and float(rows[0]["frechet"]) > 0
    grid = Image.open(tmp_path / "samples" / "epoch_001.png")
    assert grid.size == (2 * (10 * 29 + 1),) * 2               # 10 × 10 samples of 28 px, 2× scale
    assert Image.open(tmp_path / "samples_nearest.png").size == (2 * (5 * 63 + 6), 2 * (6 * 34 + 6))
    assert Image.open(tmp_path / "samples.gif").format == "GIF"
    assert meta["iteration"] == 3 and meta["epoch"] == 0 and meta["config"]["batch_size"] == 50
    assert meta["data"]["fingerprint"] == data.MNIST_FINGERPRINT
    assert arrays["G/4.W"].shape == (1200, 784) and arrays["D/1.W"].shape == (784, 1200)


def test_resume_is_bit_identical_to_an_uninterrupted_run(tmp_path):
    straight, _ = run(tmp_path / "straight", "--max-iters", "7")
    run(tmp_path / "split", "--max-iters", "4")
    resumed, meta = run(tmp_path / "split", "--max-iters", "7",
                        "--resume", str(tmp_path / "split" / "checkpoint.npz"))
    assert meta["iteration"] == 7 and straight.keys() == resumed.keys()
    for name in straight:
        np.testing.assert_array_equal(resumed[name], straight[name], err_msg=name)
    rows = [read_csv(tmp_path / name / "metrics.csv") for name in ("straight", "split")]
    assert [r["iteration"] for r in rows[1]] == ["7"]          # the part-epoch row was replaced
    assert rows[1][0]["disc_loss"] == rows[0][0]["disc_loss"]   # with the same means


def test_a_folder_that_holds_a_run_is_refused_unless_told(tmp_path, capsys):
    run(tmp_path, "--max-iters", "1")
    before = (tmp_path / "checkpoint.npz").read_bytes()
    line = fails(capsys, 2, "--out", tmp_path, "--max-iters", "1")
    assert "already holds a run" in line and "--resume" in line and "--overwrite" in line
    assert (tmp_path / "checkpoint.npz").read_bytes() == before
    records = [tmp_path / "checkpoint.parzen.json", tmp_path / "checkpoint.validation.json", tmp_path / "notes.txt",
               tmp_path / "checkpoint_mine.npz", tmp_path / "samples" / "favourite.png"]
    for path in records:                       # parzen_eval.py's records of the old run, and files of the user's
        path.write_text("{}")
    capsys.readouterr()
    run(tmp_path, "--max-iters", "2", "--overwrite")
    assert [r["iteration"] for r in read_csv(tmp_path / "metrics.csv")] == ["2"]
    assert [path.exists() for path in records] == [False, False, True, True, True]
    assert ("note: --overwrite kept 3 files tinygan does not write: checkpoint_mine.npz, notes.txt, "
            f"{os.path.join('samples', 'favourite.png')}") in capsys.readouterr().out


def hold(folder):
    """A live process holding the folder's lock, as a training run does (started, and holding)."""
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time\nfrom tinygan import runs\n"
                               "with runs.owned(sys.argv[1]):\n    print('held', flush=True)\n    time.sleep(60)",
                               str(folder)], stdout=subprocess.PIPE, text=True, cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": ROOT})
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_a_folder_another_process_holds_is_refused_naming_it_until_that_process_dies(tmp_path, capsys):
    run(tmp_path, "--max-iters", "1")
    before = (tmp_path / "checkpoint.npz").read_bytes()
    holder = hold(tmp_path)
    try:
        for flags in ([], ["--overwrite"], ["--resume", tmp_path / "checkpoint.npz"]):
            line = fails(capsys, 1, "--out", tmp_path, "--max-iters", "2", *flags)
            assert line == (f"error: --out {tmp_path} is in use by another run (pid {holder.pid}: -c {tmp_path}); "
                            "wait for it to end, stop it, or choose another --out")
        assert (tmp_path / "checkpoint.npz").read_bytes() == before
    finally:
        holder.send_signal(signal.SIGKILL)          # however it dies, the kernel releases its lock
        holder.wait()
    _, meta = run(tmp_path, "--max-iters", "2", "--resume", str(tmp_path / "checkpoint.npz"))
    assert meta["iteration"] == 2


def test_two_trainings_started_together_in_one_folder_leave_one_run(tmp_path):
    for attempt in range(3):
        out = tmp_path / str(attempt)
        racers = [subprocess.Popen([sys.executable, "examples/mnist_gan.py", "--out", str(out), "--max-iters", "3",
                                    "--batch-size", "50", "--seed", str(seed)], cwd=ROOT, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": ROOT})
                  for seed in (1, 2)]
        done = [(racer.wait(), racer.stderr.read()) for racer in racers]
        assert sorted(status for status, _ in done) in ([0, 1], [0, 2]), done
        winner = [status for status, _ in done].index(0) + 1
        loser_says = done[2 - winner][1]
        assert "in use by another run" in loser_says or "already holds a run" in loser_says
        assert checkpoint.load(out / "checkpoint.npz")[1]["config"]["seed"] == winner
        assert [row["iteration"] for row in read_csv(out / "metrics.csv")] == ["3"]


def test_ctrl_c_before_training_is_one_line_and_writes_nothing(tmp_path, capsys, monkeypatch):
    def interrupted(folder):
        raise KeyboardInterrupt
    monkeypatch.setattr(data, "load_mnist", interrupted)
    line = fails(capsys, 130, "--out", tmp_path / "run", "--max-iters", "2")
    assert line == "error: interrupted before training began; nothing was written"
    assert not os.path.exists(tmp_path / "run")


def test_ctrl_c_while_the_closing_figures_are_drawn_lets_them_finish(tmp_path, capsys, monkeypatch):
    save_gif = images.save_gif
    monkeypatch.setattr(images, "save_gif", lambda *args: os.kill(os.getpid(), signal.SIGINT) or save_gif(*args))
    with pytest.raises(SystemExit) as stop:
        run(tmp_path, "--max-iters", "2")
    assert stop.value.code == 130 and "stopped: saved" in capsys.readouterr().out
    assert (tmp_path / "samples.gif").exists() and (tmp_path / "samples_nearest.png").exists()


@pytest.mark.parametrize("reader", ["closes after one line", "cannot encode the progress"])
def test_the_terminal_never_ends_a_run(reader, tmp_path):
    """Piped to `head -1`, or printing to an ASCII-only stdout, a run trains to its end."""
    env = {**os.environ, "PYTHONPATH": ROOT, **({"PYTHONIOENCODING": "ascii"} if "encode" in reader else {})}
    process = subprocess.Popen([sys.executable, "examples/mnist_gan.py", "--out", str(tmp_path), "--max-iters", "6",
                                "--batch-size", "50", "--log-every", "1"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = process.stdout.readline()
    if "closes" in reader:
        process.stdout.close()
    else:
        assert b"iterations 1\\u20266" in first + process.stdout.read()   # "1…6", escaped
    errors = process.stderr.read().decode()
    assert process.wait(timeout=120) == 0 and errors == "", errors
    assert checkpoint.load(tmp_path / "checkpoint.npz")[1]["iteration"] == 6


def test_resuming_into_a_folder_that_holds_another_run_is_refused(tmp_path, capsys):
    run(tmp_path / "a", "--max-iters", "1")
    run(tmp_path / "b", "--max-iters", "1", "--seed", "5")
    before = (tmp_path / "b" / "checkpoint.npz").read_bytes()
    line = fails(capsys, 2, "--out", tmp_path / "b", "--max-iters", "2", "--resume", tmp_path / "a" / "checkpoint.npz")
    assert line == (f"error: --out {tmp_path / 'b'} already holds another run (checkpoint.npz): a resumed run "
                    "continues in its own folder or an empty one")
    assert (tmp_path / "b" / "checkpoint.npz").read_bytes() == before


@pytest.mark.parametrize("flags, named", [
    (["--batch-size", "0"], "--batch-size"),
    (["--k", "0"], "--k"),
    (["--epochs", "-1"], "--epochs"),
    (["--max-iters", "0"], "--max-iters"),
    (["--set", "D_keep_input=1.5"], "--set D_keep_input"),
    (["--set", "D_pieces=0"], "--set D_pieces"),
    (["--set", "d_range=0.05"], "--set d_range=0.05"),
    (["--k", "1000"], "--k 1000"),
    (["--checkpoint-every", "-1"], "--checkpoint-every"),
    (["--set", "G_hidden=1000000"], "this configuration needs at least"),
    (["--set", "D_units=1000", "--set", "D_pieces=1000"], "lower G_hidden, D_units, D_pieces or batch_size"),
])
def test_bad_flags_are_one_line_errors_that_name_the_flag(flags, named, tmp_path, capsys):
    line = fails(capsys, 2, "--out", tmp_path / "run", *flags)
    assert named in line
    assert not os.path.exists(tmp_path / "run")                # nothing written


def test_out_that_is_a_file_is_refused(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert "is a file" in fails(capsys, 2, "--out", tmp_path / "file" / "run")


def test_a_checkpoint_of_another_architecture_is_refused(tmp_path, capsys):
    arrays, meta = run(tmp_path, "--max-iters", "1")
    arrays["D/1.W"] = np.zeros((784, 600), np.float32)       # a narrower D
    bad = tmp_path / "other.npz"
    checkpoint.save(str(bad), arrays, meta)
    line = fails(capsys, 1, "--resume", bad, "--epochs", "2")
    assert "other.npz: the checkpoint's discriminator does not match this model: " \
           "1.W has shape (784, 600), the model needs (784, 1200)" in line


def test_non_finite_weights_are_refused_by_name(tmp_path, capsys):
    arrays, meta = run(tmp_path, "--max-iters", "2")
    arrays["G/0.W"][0, 0] = np.nan
    checkpoint.save(str(tmp_path / "poisoned.npz"), arrays, meta)
    assert "poisoned.npz: parameter G/0.W holds NaN" in fails(capsys, 1, "--resume", tmp_path / "poisoned.npz")


def test_nan_stops_training_and_names_the_iteration(tmp_path, capsys):
    line = fails(capsys, 1, "--out", tmp_path, "--batch-size", "50", "--log-every", "1", "--set", "lr=1e30")
    assert "non-finite statistics at iteration" in line and "training stopped" in line


def test_missing_gpu_is_a_clear_error(tmp_path, capsys):
    if backend.gpu_available():
        pytest.skip("a GPU is present")
    assert "pip install cupy-cuda12x" in fails(capsys, 1, "--out", tmp_path, "--device", "cupy")


def test_bad_data_folder_is_a_clear_error(tmp_path, capsys):
    assert "no train-images-idx3-ubyte" in fails(capsys, 1, "--out", tmp_path / "run", "--data", tmp_path)


def test_keep_every_keeps_a_checkpoint_per_epoch(tmp_path, monkeypatch):
    splits = data.load_mnist()
    small = {name: (images[:200], labels[:200]) for name, (images, labels) in splits.items()}
    monkeypatch.setattr(data, "load_mnist", lambda folder: small)   # 4 batches an epoch
    run(tmp_path, "--max-iters", "10", "--keep-every", "2")
    kept = sorted(name for name in os.listdir(tmp_path) if name.startswith("checkpoint_epoch"))
    assert kept == ["checkpoint_epoch_002.npz"]
    assert checkpoint.load(tmp_path / kept[0])[1]["epoch"] == 2


@pytest.mark.parametrize("seconds, saved", [("0", [4, 8, 10]), ("1e9", [4, 10])])   # the first always
def test_checkpoint_every_spaces_the_rewrites_and_the_end_always_writes(seconds, saved, tmp_path, monkeypatch):
    splits = data.load_mnist()
    small = {name: (images[:200], labels[:200]) for name, (images, labels) in splits.items()}
    monkeypatch.setattr(data, "load_mnist", lambda folder: small)   # 4 batches an epoch
    iterations, save_gan = [], checkpoint.save_gan
    monkeypatch.setattr(checkpoint, "save_gan", lambda path, gan, config, iteration, *args, **kwargs:
                        iterations.append(iteration) or save_gan(path, gan, config, iteration, *args, **kwargs))
    _, meta = run(tmp_path, "--max-iters", "10", "--checkpoint-every", seconds)
    assert iterations == saved and meta["iteration"] == 10


def test_a_full_disk_stops_with_one_line_and_changes_no_file(tmp_path, capsys, monkeypatch):
    run(tmp_path, "--max-iters", "2")
    before = {name: (tmp_path / name).read_bytes() for name in ("checkpoint.npz", "metrics.csv")}

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(files.os, "fsync", full)
    line = fails(capsys, 1, "--resume", tmp_path / "checkpoint.npz", "--max-iters", "4", "--log-every", "2")
    assert "No space left on device" in line and "--resume" in line
    assert {name: (tmp_path / name).read_bytes() for name in before} == before
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]


@pytest.mark.parametrize("meta_text, problem", [
    ("not json", "not valid JSON"),
    ('{"format": "tinygan-3", "iteration": 1, "epoch": 0, "n_pixels": 784}', "not a GAN checkpoint (it has no configuration)"),
    ('{"format": "tinygan-3", "config": {"k": "two"}, "iteration": 1, "epoch": 0, "n_pixels": 784}', "k"),
])
def test_checkpoint_metadata_that_is_not_valid_is_named(meta_text, problem, tmp_path, capsys):
    arrays, _ = run(tmp_path, "--max-iters", "1")
    path = tmp_path / "bad.npz"
    np.savez(path, __meta__=np.array(meta_text), **arrays)
    line = fails(capsys, 1, "--resume", path)
    assert "bad.npz" in line and problem in line


def test_resuming_or_scoring_on_other_data_names_both(tmp_path, capsys, monkeypatch):
    splits = data.load_mnist()
    flipped = {name: (255 - images, labels) for name, (images, labels) in splits.items()}
    with monkeypatch.context() as patch:
        patch.setattr(data, "load_mnist", lambda folder: flipped)
        run(tmp_path, "--max-iters", "1")
    line = fails(capsys, 1, "--resume", tmp_path / "checkpoint.npz", "--epochs", "2")
    assert "was trained on" in line and "holds other images" in line
    with pytest.raises(SystemExit) as stop:
        load_example("parzen_eval").main([str(tmp_path / "checkpoint.npz"), "--n-samples", "50"])
    assert stop.value.code == 1 and "pass the run's --data" in capsys.readouterr().err


def test_a_corrupt_data_file_is_one_line(tmp_path, capsys):
    folder = tmp_path / "mnist"
    shutil.copytree(data.SHIPPED_MNIST, folder)
    packed = bytearray((folder / "t10k-labels-idx1-ubyte.gz").read_bytes())
    packed[30] ^= 0xFF                                          # one flipped byte in the deflate stream
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(bytes(packed))
    line = fails(capsys, 1, "--out", tmp_path / "run", "--data", folder)
    assert "t10k-labels-idx1-ubyte.gz" in line


def test_parzen_eval_refuses_a_json_path_in_a_missing_folder_before_computing(tmp_path, capsys):
    run(tmp_path, "--max-iters", "1")
    with pytest.raises(SystemExit) as stop:
        load_example("parzen_eval").main([str(tmp_path / "checkpoint.npz"), "--json", str(tmp_path / "no" / "p.json")])
    assert stop.value.code == 2 and "--json" in capsys.readouterr().err


def test_the_wgan_preset_logs_the_critics_estimate(tmp_path):
    arrays, meta = run(tmp_path, "--preset", "wgan", "--max-iters", "2")
    row = read_csv(tmp_path / "metrics.csv")[0]
    assert float(row["wasserstein_estimate"]) == pytest.approx(float(row["mean_D_x"]) - float(row["mean_D_G_z"]), abs=2e-6)
    assert row["momentum"] == "" and meta["config"]["optimizer"] == "rmsprop"
    assert max(np.abs(arrays[name]).max() for name in arrays if name.startswith("D/")) <= 0.01
    assert any(name.startswith("D_optimizer/s.") for name in arrays)       # RMSProp's state resumes


def test_the_cgan_preset_draws_one_row_per_digit_and_samples_a_chosen_one(tmp_path, capsys):
    arrays, meta = run(tmp_path, "--preset", "cgan", "--max-iters", "2")
    assert arrays["G/0.W"].shape == (110, 1200) and arrays["D/1.W"].shape == (794, 1200)
    assert meta["config"]["n_classes"] == 10
    sample = load_example("sample")
    sample.main([str(tmp_path / "checkpoint.npz"), "-n", "5", "--label", "7", "-o", str(tmp_path / "s.npy")])
    assert np.load(tmp_path / "s.npy").shape == (5, 784)
    with pytest.raises(SystemExit) as stop:
        sample.main([str(tmp_path / "checkpoint.npz"), "--label", "10", "-o", str(tmp_path / "s.npy")])
    assert stop.value.code == 2 and "--label 10" in capsys.readouterr().err


def test_mnist_wgan_plots_the_estimate_and_mnist_cgan_writes_the_per_digit_table(tmp_path):
    load_example("mnist_wgan").main(["--out", str(tmp_path / "w"), "--max-iters", "2", "--batch-size", "50"])
    assert Image.open(tmp_path / "w" / "wasserstein.png").format == "PNG"
    run_ = load_example("mnist_cgan").main(["--out", str(tmp_path / "c"), "--max-iters", "2", "--batch-size", "50"])
    with open(tmp_path / "c" / "per_digit.json") as f:
        table = json.load(f)
    assert sorted(table["read_as_asked"]) == [str(d) for d in range(10)] and run_.iteration == 2
    assert all(0 <= share <= 1 for share in table["read_as_asked"].values())


def test_seeds_table_summarises_runs(tmp_path, monkeypatch, capsys):
    splits = data.load_mnist()
    small = {name: (images[:200], labels[:200]) for name, (images, labels) in splits.items()}
    with monkeypatch.context() as patch:
        patch.setattr(data, "load_mnist", lambda folder: small)   # 4 batches an epoch
        run(tmp_path, "--max-iters", "12", "--keep-every", "1")
    capsys.readouterr()
    load_example("seeds_table").main([str(tmp_path)])
    row = capsys.readouterr().out.strip().splitlines()[-1]
    assert row.startswith(f"| {tmp_path} | no | 1: 1, 1.00, ") and "; 2: " in row and "; 3: " in row


@pytest.mark.parametrize("preset", ["default", "cgan"])
def test_the_example_trains_on_the_device_path_and_its_checkpoint_resumes_on_the_cpu(preset, accelerator, tmp_path):
    """--device cupy end to end (CuPy on a GPU, the strict stand-in here): data, grids, the
    quality probe, the CSV and the checkpoint, then two more iterations on the CPU from it."""
    run(tmp_path, "--preset", preset, "--device", "cupy", "--max-iters", "4", "--log-every", "2")
    assert len(read_csv(tmp_path / "metrics.csv")) == 1 and os.path.exists(tmp_path / "samples" / "epoch_001.png")
    arrays, meta = run(tmp_path, "--resume", str(tmp_path / "checkpoint.npz"), "--device", "numpy", "--max-iters", "6")
    assert meta["iteration"] == 6


@pytest.mark.parametrize("graphed", [[], ["--cuda-graph"]], ids=["eager", "cuda-graph"])
def test_a_device_run_resumes_on_the_device_bit_for_bit(graphed, accelerator, tmp_path):
    """The device's CounterRNG is all state (seed and position): a run split in two on the device
    ends where an uninterrupted one does (exactly on the stand-in; to float32 on a GPU)."""
    flags = ["--device", "cupy", "--log-every", "3", *graphed]
    straight, _ = run(tmp_path / "straight", "--max-iters", "7", *flags)
    run(tmp_path / "split", "--max-iters", "4", *flags)
    resumed, meta = run(tmp_path / "split", "--max-iters", "7", "--resume", str(tmp_path / "split" / "checkpoint.npz"), *flags)
    assert meta["iteration"] == 7
    exact = backend.get_xp("cupy") is strict_xp.strict_xp
    for name in straight:
        if exact:
            np.testing.assert_array_equal(resumed[name], straight[name], err_msg=name)
        else:
            np.testing.assert_allclose(resumed[name], straight[name], rtol=1e-4, atol=1e-5, err_msg=name)


def test_the_example_reads_the_device_once_per_logging_window(strict, tmp_path):
    """Eight more iterations at --log-every 4 cost two more host reads, the two log lines: the
    iterations themselves read nothing, and the end of a run (grids, probe, checkpoint) the same."""
    reads = []
    for iterations in (8, 16):
        strict["count"] = 0
        run(tmp_path / str(iterations), "--device", "cupy", "--max-iters", str(iterations), "--log-every", "4")
        reads.append(strict["count"])
    assert reads[1] - reads[0] == 2


@pytest.mark.parametrize("csv_bytes, problem", [
    (b"\x00\xff\xfebinary", "is not a metrics.csv that tinygan wrote (UnicodeDecodeError"),
    (b"epoch,iteration\n1,abc\n", "is not a metrics.csv that tinygan wrote (ValueError"),
    (b"epoch,iteration\n", "holds 0 rows of whole epochs, and the run is at epoch 1"),
])
def test_a_damaged_metrics_csv_stops_a_resume_with_one_line(csv_bytes, problem, tmp_path, capsys, monkeypatch):
    splits = data.load_mnist()
    small = {name: (images[:200], labels[:200]) for name, (images, labels) in splits.items()}
    monkeypatch.setattr(data, "load_mnist", lambda folder: small)   # 4 batches an epoch
    run(tmp_path, "--max-iters", "5")
    (tmp_path / "metrics.csv").write_bytes(csv_bytes)
    line = fails(capsys, 1, "--resume", tmp_path / "checkpoint.npz", "--max-iters", "6")
    assert problem in line and line.endswith("resuming needs the run's own metrics.csv")


def test_a_dcgan_trains_on_a_folder_of_colour_images_and_writes_colour_grids(tmp_path, capsys):
    from test_data import write_images
    write_images(tmp_path / "pictures", 24, size=(20, 16))
    out = tmp_path / "run"
    mnist_gan.main(["--data", str(tmp_path / "pictures"), "--channels", "3", "--image-size", "16", "--preset", "dcgan",
                    "--batch-size", "8", "--max-iters", "3", "--out", str(out), "--set", "G_channels=8",
                    "--set", "D_channels=4"])
    _, meta = checkpoint.load(out / "checkpoint.npz")
    assert meta["image_shape"] == [16, 16, 3] and meta["data"]["image_shape"] == [16, 16, 3]
    grid = Image.open(out / "samples" / "epoch_001.png")
    assert grid.mode == "RGB" and grid.size == (2 * (10 * 17 + 1),) * 2          # 100 samples, 10 to a row
    assert "the sample-quality columns stay empty" in capsys.readouterr().out
    sample = load_example("sample")
    sample.main([str(out / "checkpoint.npz"), "-n", "4", "-o", str(tmp_path / "s.npy"), "--nearest", str(tmp_path / "n.png"),
                 "--data", str(tmp_path / "pictures")])
    assert np.load(tmp_path / "s.npy").shape == (4, 16 * 16 * 3) and Image.open(tmp_path / "n.png").mode == "RGB"


@pytest.mark.parametrize("flags, expected", [
    (["--image-size", "6", "--preset", "dcgan"], "--image-size 6: the dcgan architecture needs images whose height"),
    (["--preset", "cgan", "--batch-size", "2"], "a folder of images has no labels"),
])
def test_a_folder_of_images_the_networks_cannot_take_is_refused_in_one_line(flags, expected, tmp_path, capsys):
    from test_data import write_images
    write_images(tmp_path / "pictures", 4)
    line = fails(capsys, 2, "--data", tmp_path / "pictures", "--out", tmp_path / "run", *flags)
    assert expected in line and not (tmp_path / "run" / "checkpoint.npz").exists()
