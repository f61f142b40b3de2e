"""The figure and evaluation examples run and write what they promise."""
import json
import os
import signal
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from examples_helper import load_example
from test_mnist_example import run
from tinygan import checkpoint, images


@pytest.fixture(scope="module")
def trained_checkpoint(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    run(out, "--max-iters", "2")
    return os.path.join(out, "checkpoint.npz")


def test_parzen_eval_on_a_checkpoint_of_the_mnist_example(trained_checkpoint, tmp_path):
    result = load_example("parzen_eval").main([trained_checkpoint, "--n-samples", "500",
                                               "--json", str(tmp_path / "p.json")])
    with open(tmp_path / "p.json") as f:
        written = json.load(f)
    assert written["sigma"] == result["sigma"] and 0.1 <= result["sigma"] <= 1.0
    assert written["iteration"] == 2 and result["standard_error"] > 0


def test_interpolate_writes_figure_3(trained_checkpoint, tmp_path):
    load_example("interpolate").main([trained_checkpoint, "--rows", "3", "--steps", "5",
                                      "--out", str(tmp_path / "f3.png")])
    assert Image.open(tmp_path / "f3.png").size == (2 * (5 * 29 + 1), 2 * (3 * 29 + 1))


def test_toy_1d_draws_figure_1_and_g_moves_onto_the_data(tmp_path, capsys):
    toy = load_example("toy_1d")
    edges = np.linspace(*toy.X_RANGE, toy.N_BINS + 1)
    assert toy.bin_probabilities(edges).sum() == pytest.approx(1, abs=1e-6)   # the bins hold the data
    variations = toy.main(["--iterations", "400", "--out", str(tmp_path / "f1.png")])
    out = capsys.readouterr().out
    assert "(d) iteration 400: total variation" in out and Image.open(tmp_path / "f1.png").format == "PNG"
    assert f"total variation between p_g and p_data: {variations[-1]:.3f}" in out
    assert variations[0] > 0.9 and variations[-1] < 0.3          # from off the data to mostly on it


def test_spread_switch_points_puts_each_units_kink_where_it_was_asked():
    toy = load_example("toy_1d")
    layer = toy.Linear(1, 50, rng=np.random.default_rng(0))
    toy.spread_switch_points(layer, -1.0, 2.0, np.random.default_rng(1))
    kinks = -layer.params["b"] / layer.params["W"][0]
    assert kinks.min() > -1.0 and kinks.max() < 2.0 and kinks.std() > 0.5


def test_bilinear_game_writes_its_plot(tmp_path, capsys):
    load_example("bilinear_game").main(["--steps", "50", "--out", str(tmp_path / "b.png")])
    assert Image.open(tmp_path / "b.png").format == "PNG"
    out = capsys.readouterr().out
    assert f"simultaneous: distance from (0, 0) 1.000 -> {(1 + 0.1 ** 2) ** 25:.3f}" in out     # √(1+η²) a step
    assert "alternating: distance from (0, 0) 1.000 -> 0.989 (min 0.976, max 1.026)" in out     # a closed orbit


def test_sample_writes_n_samples_in_the_unit_interval_and_a_grid(trained_checkpoint, tmp_path, capsys):
    out, grid = tmp_path / "s.npy", tmp_path / "s.png"
    load_example("sample").main([trained_checkpoint, "-n", "7", "-o", str(out), "--grid", str(grid)])
    samples = np.load(out)
    assert samples.shape == (7, 784) and samples.dtype == np.float32
    assert 0 <= samples.min() and samples.max() <= 1
    assert Image.open(grid).size == (2 * (10 * 29 + 1), 2 * 30)      # ten to a row
    for flags, named in ((["-o", str(tmp_path / "s.txt")], "-o"), ([], "nothing to write")):
        with pytest.raises(SystemExit) as stop:
            load_example("sample").main([trained_checkpoint] + flags)
        assert stop.value.code == 2 and named in capsys.readouterr().err


def test_sample_draws_figure_2_each_sample_beside_its_nearest_training_image(trained_checkpoint, tmp_path, capsys,
                                                                           monkeypatch):
    sample = load_example("sample")
    sample.main([trained_checkpoint, "--nearest", str(tmp_path / "f2.png")])
    assert Image.open(tmp_path / "f2.png").size == (2 * (5 * 63 + 6), 2 * (6 * 34 + 6))     # 30 pairs, 5 a row
    train_images = (np.arange(3 * 784) % 251).astype(np.uint8).reshape(3, 784)
    samples = train_images[[2, 0]] / np.float32(255) + np.float32(0.01)
    written = {}
    monkeypatch.setattr(images, "save_pairs", lambda left, right, path, **shape: written.update(right=right))
    images.save_nearest(samples, train_images, "unused.png")
    np.testing.assert_allclose(written["right"], train_images[[2, 0]] / 255, rtol=1e-6)
    with pytest.raises(SystemExit) as stop:
        sample.main([trained_checkpoint, "--nearest", str(tmp_path / "x.png"), "--data", str(tmp_path)])
    assert stop.value.code == 1 and str(tmp_path) in capsys.readouterr().err


@pytest.mark.parametrize("stop, status", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_stop_signal_saves_and_exits_with_128_plus_its_number(stop, status, tmp_path):
    script = os.path.join(os.path.dirname(__file__), "..", "examples", "mnist_gan.py")
    process = subprocess.Popen([sys.executable, script, "--out", str(tmp_path), "--log-every", "1", "--epochs", "1"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in process.stdout:                     # wait until it trains
        if line.startswith("epoch 1 | iter 3/"):
            break
    process.send_signal(stop)
    output, errors = process.communicate(timeout=120)
    assert process.returncode == status, errors
    assert "stopped: saved" in output and "Traceback" not in errors
    _, meta = checkpoint.load(str(tmp_path / "checkpoint.npz"))
    assert 3 <= meta["iteration"] < 500
    assert (tmp_path / "samples_nearest.png").exists()          # the closing figure, for a stopped run too


def test_far_from_the_data_the_minimax_gradient_vanishes_and_the_critics_does_not(tmp_path, capsys):
    medians = load_example("vanishing_gradients").main(["--steps", "300", "--out", str(tmp_path / "v.png")])
    assert medians["minimax, optimal D"] < 1e-12 < 0.05 < medians["WGAN critic"]
    assert medians["non-saturating, optimal D"] > 1
    assert Image.open(tmp_path / "v.png").format == "PNG"


def test_scoring_and_sampling_run_on_the_device_path(trained_checkpoint, accelerator, tmp_path):
    """parzen_eval.py and sample.py with --device cupy (CuPy on a GPU, the strict stand-in here):
    a finite Table 1 record in JSON, and samples in [0, 1] written from the device."""
    result = load_example("parzen_eval").main([trained_checkpoint, "--n-samples", "300", "--device", "cupy",
                                               "--json", str(tmp_path / "p.json")])
    with open(tmp_path / "p.json") as f:
        assert json.load(f)["log_likelihood"] == result["log_likelihood"] and np.isfinite(result["log_likelihood"])
    load_example("sample").main([trained_checkpoint, "-n", "8", "-o", str(tmp_path / "s.npy"), "--device", "cupy"])
    samples = np.load(tmp_path / "s.npy")
    assert samples.shape == (8, 784) and 0 <= samples.min() and samples.max() <= 1


def test_parzen_eval_chooses_among_checkpoints_on_validation_images_and_scores_only_that_one(trained_checkpoint, tmp_path):
    later = tmp_path / "later"
    run(later, "--max-iters", "4")
    candidates = [trained_checkpoint, str(later / "checkpoint.npz")]
    result = load_example("parzen_eval").main(candidates + ["--n-samples", "300"])
    scores = [record["validation_log_likelihood"] for record in result["selection"]]
    assert [record["checkpoint"] for record in result["selection"]] == candidates
    assert result["checkpoint"] == candidates[int(np.argmax(scores))] and len(set(scores)) == 2
    with open(os.path.splitext(result["checkpoint"])[0] + ".parzen.json") as f:
        assert json.load(f)["log_likelihood"] == result["log_likelihood"]


def test_parzen_eval_validation_only_follows_a_run_and_scores_no_test_image(trained_checkpoint, tmp_path, monkeypatch):
    later = tmp_path / "later"
    run(later, "--max-iters", "4")
    first = str(shutil.copy(trained_checkpoint, tmp_path / "first.npz"))     # no other test's .parzen.json beside it
    candidates, flags = [first, str(later / "checkpoint.npz")], ["--n-samples", "300"]
    example = load_example("parzen_eval")
    with monkeypatch.context() as patch:
        patch.setattr(example.metrics, "parzen_protocol", None)     # the test figure's only path
        records = example.main(candidates + flags + ["--validation-only", "--json", str(tmp_path / "v.json")])
    assert not [path for path in candidates if os.path.exists(os.path.splitext(path)[0] + ".parzen.json")]
    with open(tmp_path / "v.json") as f:
        assert json.load(f) == {"selection": records}
    assert records == example.main(candidates + flags)["selection"]      # what the full run chooses from


def test_a_validation_record_is_kept_and_scored_again_only_when_what_it_depends_on_changes(trained_checkpoint, tmp_path,
                                                                                           monkeypatch):
    path = str(shutil.copy(trained_checkpoint, tmp_path / "c.npz"))
    example, calls = load_example("parzen_eval"), []
    score = example.metrics.parzen_validation_score
    monkeypatch.setattr(example.metrics, "parzen_validation_score", lambda *a: calls.append(a) or score(*a))

    def follow(*flags):
        return example.main([path, "--n-samples", "300", "--validation-only", *flags])
    first = follow()
    assert follow() == first and len(calls) == 1                   # read back, not scored again
    assert follow("--seed", "1") != first and len(calls) == 2      # other samples: scored
    with open(tmp_path / "c.validation.json", "w") as f:
        f.write("not JSON")
    assert follow() == first and len(calls) == 3                   # a damaged record is scored anew
    run(tmp_path / "other", "--max-iters", "2", "--seed", "1")     # the same iteration, other weights
    shutil.copy(tmp_path / "other" / "checkpoint.npz", path)
    assert follow() != first and len(calls) == 4


def test_an_exported_generator_samples_and_scores_like_its_checkpoint_and_cannot_resume(trained_checkpoint, tmp_path, capsys):
    scored = load_example("parzen_eval").main([trained_checkpoint, "--n-samples", "300"])
    exported = str(tmp_path / "g.npz")
    load_example("export_generator").main([trained_checkpoint, "-o", exported])
    arrays, meta = checkpoint.load(exported)
    assert meta["contents"] == "generator" and all(n.startswith("G/") for n in arrays)
    assert meta["parzen"]["log_likelihood"] == scored["log_likelihood"] and meta["training_seconds"] > 0
    assert meta["config"]["update"] == "alternating" and meta["exported_from"] == "checkpoint.npz"
    assert meta["preset"] == "default with batch_size=50"
    rescored = load_example("parzen_eval").main([exported, "--n-samples", "300", "--json", str(tmp_path / "g.json")])
    assert rescored["log_likelihood"] == scored["log_likelihood"]
    assert "the file records: " in capsys.readouterr().out
    for source, name in ((trained_checkpoint, "a"), (exported, "b")):
        load_example("sample").main([source, "-n", "6", "-o", str(tmp_path / f"{name}.npy")])
    np.testing.assert_array_equal(np.load(tmp_path / "a.npy"), np.load(tmp_path / "b.npy"))
    with pytest.raises(SystemExit) as stop:
        load_example("mnist_gan").main(["--resume", exported])
    assert stop.value.code == 1 and "generator only" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        load_example("export_generator").main([trained_checkpoint, "-o", exported])
    assert stop.value.code == 2 and "the file exists" in capsys.readouterr().err
    other = tmp_path / "other.json"
    other.write_text(json.dumps({**scored, "iteration": 7}))
    with pytest.raises(SystemExit) as stop:
        load_example("export_generator").main([trained_checkpoint, "-o", str(tmp_path / "h.npz"), "--parzen", str(other)])
    assert stop.value.code == 1 and "scores iteration 7" in capsys.readouterr().err
    other.write_text(json.dumps({**scored, "generator": {"G/0.W": "0123456789abcdef"}}))
    with pytest.raises(SystemExit) as stop:
        load_example("export_generator").main([trained_checkpoint, "-o", str(tmp_path / "h.npz"), "--parzen", str(other)])
    assert stop.value.code == 1 and "scores another generator" in capsys.readouterr().err


def test_several_checkpoints_of_a_run_export_as_the_mean_of_their_generators(trained_checkpoint, tmp_path, capsys):
    early = str(shutil.copy(trained_checkpoint, tmp_path / "early.npz"))
    run(tmp_path / "late", "--resume", early, "--max-iters", "4")
    late = str(tmp_path / "late" / "checkpoint.npz")
    averaged, shipped = str(tmp_path / "average.npz"), str(tmp_path / "shipped.npz")
    load_example("export_generator").main([early, late, "-o", averaged])
    arrays, meta = checkpoint.load(averaged)
    assert meta["averaged_epochs"] == [0, 0] and meta["iteration"] == 4 and "Parzen" not in capsys.readouterr().out
    assert meta["exported_from"] == ["early.npz", "checkpoint.npz"] and meta["contents"] == "generator"
    expected = [checkpoint.load(path)[0]["G/0.W"].astype(np.float64) for path in (early, late)]
    np.testing.assert_allclose(arrays["G/0.W"], (expected[0] + expected[1]) / 2, rtol=1e-6)
    scored = load_example("parzen_eval").main([averaged, "--n-samples", "300"])
    assert scored["averaged_epochs"] == [0, 0] and "G the mean of 2 checkpoints" in capsys.readouterr().out
    load_example("export_generator").main([averaged, "-o", shipped])      # again, now with its figure
    _, again = checkpoint.load(shipped)
    assert again["parzen"]["log_likelihood"] == scored["log_likelihood"]
    assert {key: again[key] for key in ("exported_from", "training_seconds", "averaged_epochs")} == \
           {key: meta[key] for key in ("exported_from", "training_seconds", "averaged_epochs")}
    run(tmp_path / "other", "--max-iters", "2", "--seed", "1")
    with pytest.raises(SystemExit) as stop:
        load_example("export_generator").main([early, str(tmp_path / "other" / "checkpoint.npz"), "-o",
                                               str(tmp_path / "mixed.npz")])
    assert stop.value.code == 1 and "another run than" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        load_example("export_generator").main([early, "-o", str(tmp_path / "x.npz"), "--parzen", "missing.json"])
    assert stop.value.code == 2 and "--parzen missing.json: no such file" in capsys.readouterr().err


SHIPPED = os.path.join(os.path.dirname(__file__), "..", "pretrained", "mnist_generator.npz")


def test_the_shipped_generator_reproduces_the_table_1_row_it_records(tmp_path):
    _, meta = checkpoint.load(SHIPPED)
    assert meta["contents"] == "generator" and meta["preset"] == "paper with noise_prior=gaussian, update=simultaneous"
    assert meta["averaged_epochs"] == list(range(420, 840, 10)) and meta["parzen"]["n_samples"] == 10000
    assert meta["parzen"]["log_likelihood"] >= 225                    # Table 1's figure, on the test set
    result = load_example("parzen_eval").main([SHIPPED, "--json", str(tmp_path / "shipped.json")])
    assert result["sigma"] == meta["parzen"]["sigma"] and result["epoch"] == meta["epoch"]
    assert abs(result["log_likelihood"] - meta["parzen"]["log_likelihood"]) < 0.05


def test_parzen_anatomy_bounds_each_score_by_the_nearest_sample(trained_checkpoint, capsys):
    results = load_example("parzen_anatomy").main([trained_checkpoint, "--n-samples", "300"])
    assert len(results) == 5 and "300 training images" in capsys.readouterr().out
    for row in results.values():            # bound ≤ log-likelihood ≤ bound + log N, digit by digit
        assert row["bound"] - 1e-3 <= row["log_likelihood"] <= row["bound"] + np.log(300)
    real, samples = results["300 training images"], results["300 samples"]
    assert real["mean_nearest_squared"] < samples["mean_nearest_squared"]     # an untrained G is far off


def test_diagnose_reports_saturation_spread_and_the_gradient_reaching_each_layer(trained_checkpoint, capsys):
    load_example("diagnose").main([trained_checkpoint])
    line = capsys.readouterr().out.strip()
    assert "saturated" in line and "spread" in line and "D logit real" in line
    assert len(line.split("‖dG‖ ")[1].split()) == 3                    # G's three weight matrices


def test_parzen_calibration_scores_real_images_and_kmeans_centroids(tmp_path):
    rows = load_example("parzen_calibration").main(["--n-samples", "200", "--iterations", "2",
                                                     "--json", str(tmp_path / "c.json")])
    with open(tmp_path / "c.json") as f:
        written = json.load(f)
    assert {name: row["log_likelihood"] for name, row in written.items()} == \
           {name: row["log_likelihood"] for name, row in rows.items()}
    assert set(rows) == {"real", "k-means"} and all(0.1 <= row["sigma"] <= 1 for row in rows.values())
    assert rows["k-means"]["log_likelihood"] > rows["real"]["log_likelihood"]    # Theis et al.'s point


# ----------------------------------------------------------------------------- files of the wrong kind

@pytest.fixture(scope="module")
def conditional_checkpoint(tmp_path_factory):
    out = tmp_path_factory.mktemp("cgan")
    run(out, "--preset", "cgan", "--max-iters", "1")
    return os.path.join(out, "checkpoint.npz")


def one_line_error(capsys, script, *argv):
    """(exit status, the one line on stderr) of an example that stops with an error."""
    with pytest.raises(SystemExit) as stop:
        load_example(script).main([str(a) for a in argv])
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    return stop.value.code, lines[0]


@pytest.mark.parametrize("script, argv, status, says", [
    ("interpolate", ["{cgan}"], 1, "{cgan}: a conditional GAN (10 classes); interpolate.py walks the z of an unconditional one"),
    ("diagnose", ["{cgan}"], 1, "{cgan}: a conditional GAN (10 classes); diagnose.py reads unconditional ones"),
    ("sample", ["pretrained/mnist_classifier.npz", "-o", "{tmp}/s.npy"], 1,
     "pretrained/mnist_classifier.npz: not a GAN checkpoint (it is a 'mnist-classifier' file)"),
    ("mnist_wgan", ["--resume", "{plain}", "--max-iters", "9"], 2, "{plain}: mnist_wgan.py trains a Wasserstein GAN"),
    ("mnist_wgan", ["--preset", "default", "--out", "{tmp}/w"], 2, "--preset default: mnist_wgan.py trains a Wasserstein GAN"),
    ("mnist_cgan", ["--resume", "{plain}", "--max-iters", "9"], 2, "{plain}: mnist_cgan.py trains a conditional GAN"),
    ("export_generator", ["{plain}", "-o", "{plain}/g.npz"], 2, "argument -o/--out: {plain}/g.npz: {plain} is a file, not a folder"),
    ("parzen_eval", ["{plain}", "--json", "{tmp}"], 2, "argument --json: {tmp} is a folder; expected a file"),
    ("sample", ["{plain}", "--seed", "-1", "-o", "{tmp}/s.npy"], 2, "argument --seed: expected a whole number ≥ 0, got -1"),
    ("mnist_gan", ["--out", "{tmp}/" + "a" * 300], 2, "a name in it is longer than 255 bytes"),
])
def test_a_file_of_the_wrong_kind_or_an_unwritable_output_is_one_line_before_any_work(
        script, argv, status, says, trained_checkpoint, conditional_checkpoint, tmp_path, capsys):
    names = {"cgan": conditional_checkpoint, "plain": trained_checkpoint, "tmp": str(tmp_path)}
    before = sorted(os.listdir(tmp_path))
    code, line = one_line_error(capsys, script, *(a.format(**names) for a in argv))
    assert code == status and says.format(**names) in line
    assert sorted(os.listdir(tmp_path)) == before                    # nothing written


def test_parzen_eval_scores_a_conditional_gan_over_all_its_labels(conditional_checkpoint, tmp_path):
    result = load_example("parzen_eval").main([conditional_checkpoint, "--n-samples", "300", "--json", str(tmp_path / "p.json")])
    assert np.isfinite(result["log_likelihood"])


def test_export_beside_an_unrelated_metrics_csv_is_one_line(trained_checkpoint, tmp_path, capsys):
    shutil.copy(trained_checkpoint, tmp_path / "checkpoint.npz")
    (tmp_path / "metrics.csv").write_text("epoch,loss\n1,0.5\n")            # another program's CSV
    code, line = one_line_error(capsys, "export_generator", tmp_path / "checkpoint.npz", "-o", tmp_path / "g.npz")
    assert code == 1 and line.startswith(f"error: {tmp_path / 'metrics.csv'}: not the metrics.csv of ")
    assert not (tmp_path / "g.npz").exists()


def test_write_pngs_writes_each_training_image_under_its_label_and_refuses_a_full_folder(tmp_path, monkeypatch, capsys):
    from tinygan import data
    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 256, (5, 784), dtype=np.uint8), np.array([3, 1, 3, 0, 2], np.uint8)
    monkeypatch.setattr(data, "load_mnist", lambda folder: {"train": (images[:3], labels[:3]),
                                                            "valid": (images[3:], labels[3:])})
    write_pngs = load_example("write_pngs")
    write_pngs.main(["unused", str(tmp_path / "pngs")])
    assert sorted(os.listdir(tmp_path / "pngs")) == ["0", "1", "2", "3"]
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "pngs" / "3" / "00002.png")), images[2].reshape(28, 28))
    loaded = data.load(str(tmp_path / "pngs"))
    assert loaded.image_shape == (28, 28, 1) and len(loaded.splits["train"][0]) == 5
    with pytest.raises(SystemExit) as stop:
        write_pngs.main(["unused", str(tmp_path / "pngs")])
    assert stop.value.code == 2 and "already holds files" in capsys.readouterr().err
