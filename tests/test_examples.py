"""The figure and evaluation examples run and write what they promise."""
import json
import os

import pytest
from PIL import Image

from test_mnist_example import load_example, run


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


def test_toy_1d_writes_figure_1(tmp_path, capsys):
    load_example("toy_1d").main(["--iterations", "100", "--out", str(tmp_path / "f1.png")])
    assert Image.open(tmp_path / "f1.png").size[0] == 4 * 360
    assert "(d) iteration 100" in capsys.readouterr().out


def test_bilinear_game_writes_its_plot(tmp_path, capsys):
    load_example("bilinear_game").main(["--steps", "50", "--out", str(tmp_path / "b.png")])
    assert os.path.exists(tmp_path / "b.png")
    assert "simultaneous: distance from (0, 0) 1.000 -> 1.282" in capsys.readouterr().out
