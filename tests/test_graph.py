"""Algorithm 1's iteration captured as a CUDA graph trains exactly as the iteration it recorded.

On a GPU the graph is CuPy's; everywhere, the strict stand-in records a capture as CUDA does (a
launch during it is recorded, not run; a host read is an error) and replays it on the same
arrays, so a value the graph froze at capture (an lr, a batch) shows as a different run."""
from dataclasses import replace

import numpy as np
import pytest

import strict_xp
from examples_helper import load_example
from test_devices import FLOAT32_TOL
from tinygan import backend, checkpoint
from tinygan.graph import CaptureError, CapturedIteration
from tinygan.optim import apply_paper_schedule
from tinygan.models import build_gan
from tinygan.presets import PRESETS

RUNS = [("default", "alternating"), ("paper", "simultaneous"), ("wgan", "alternating"), ("cgan", "alternating"),
        ("dcgan", "alternating")]


def minibatches(config, device):
    """Ten different minibatches of 20 in turn, with labels for a conditional GAN."""
    rng = np.random.default_rng(0)
    images = backend.to_device(rng.random((200, 784), dtype=np.float32), device)
    labels = backend.to_device(np.arange(200) % 10, device)
    for i in range(10 ** 6):
        rows = slice(20 * (i % 10), 20 * (i % 10 + 1))
        yield (images[rows], labels[rows]) if config.n_classes else images[rows]


def train(config, device, captured, iterations=6):
    """(state_dict, (iterations, 4) statistics) after training with lr and momentum changing
    every iteration, eagerly or through a CapturedIteration."""
    gan = build_gan(config, np.full((28, 28, 1), 0.2), device)
    iterate = CapturedIteration(gan) if captured else gan.train_iteration
    batches, stats = minibatches(config, device), []
    for iteration in range(iterations):
        apply_paper_schedule(gan, config, iteration, epoch=iteration)
        stats.append(backend.to_host(iterate(batches)))
    return gan.state_dict(), np.array(stats)


@pytest.mark.parametrize("preset, update", RUNS)
def test_replays_of_the_captured_iteration_train_as_the_iteration_itself(preset, update, accelerator):
    config = replace(PRESETS[preset], update=update, G_hidden=32, D_units=16, G_channels=8, D_channels=4,
                     batch_size=20, lr_decay=1.01, momentum_end_epoch=6)
    (eager, eager_stats), (graphed, graphed_stats) = (train(config, accelerator, c) for c in (False, True))
    exact = backend.array_module(backend.to_device(np.zeros(1), accelerator)) is strict_xp.strict_xp
    check = np.testing.assert_array_equal if exact else lambda a, b, err_msg: np.testing.assert_allclose(
        a, b, **FLOAT32_TOL, err_msg=err_msg)
    check(graphed_stats, eager_stats, err_msg="statistics")
    assert graphed.keys() == eager.keys()
    for name in eager:
        check(graphed[name], eager[name], err_msg=name)


def test_a_replayed_iteration_is_one_graph_launch_and_what_feeds_it(strict):
    config = replace(PRESETS["default"], G_hidden=32, D_units=16, batch_size=20)
    gan = build_gan(config, np.full(784, 0.2), "cupy")
    iterate, batches = CapturedIteration(gan), minibatches(config, "cupy")
    for _ in range(3):                                  # two eager warm-up iterations, the capture
        iterate(batches)
    strict_xp.LAUNCHES.clear()
    iterate(batches)
    assert strict_xp.LAUNCHES == {"fill": 5, "setitem": 1, "graph": 1, "copy": 1}   # lr and μ of G and D, the
    assert strict["count"] == 0                                       # draws' base, the batch, the stats


def test_the_stand_in_refuses_a_host_read_during_a_capture(strict):
    graph = backend.Graph(strict_xp.strict_xp)
    x = backend.to_device(np.ones(3), "cupy")
    with pytest.raises(RuntimeError, match="read back to the host during a CUDA graph capture"):
        graph.capture(lambda: float(x.sum()))


def test_an_iteration_that_cannot_be_recorded_says_so(strict, monkeypatch):
    config = replace(PRESETS["default"], G_hidden=8, D_units=4, batch_size=20)
    gan = build_gan(config, np.full(784, 0.2), "cupy")
    recorded = gan.train_iteration
    monkeypatch.setattr(gan, "train_iteration", lambda batches: recorded(batches) * float(gan.G.layers[0].params["b"][0]))
    iterate, batches = CapturedIteration(gan), minibatches(config, "cupy")
    iterate(batches), iterate(batches)
    with pytest.raises(CaptureError, match="CUDA graph capture failed: RuntimeError: a device value was read"):
        iterate(batches)


def test_adam_with_several_d_steps_an_iteration_cannot_be_captured(strict):
    gan = build_gan(replace(PRESETS["default"], optimizer="adam", k=2, G_hidden=8, D_units=4), np.full(784, 0.2), "cupy")
    with pytest.raises(ValueError, match="2 steps of D's Adam"):
        CapturedIteration(gan)


def test_the_example_with_cuda_graph_writes_the_run_it_writes_without(accelerator, tmp_path):
    mnist_gan = load_example("mnist_gan")
    runs = {}
    for graphed in (False, True):
        out = tmp_path / str(graphed)
        mnist_gan.main(["--out", str(out), "--device", "cupy", "--batch-size", "50", "--max-iters", "6",
                        "--log-every", "3"] + ["--cuda-graph"] * graphed)
        runs[graphed] = checkpoint.load(out / "checkpoint.npz")[0]
    for name, value in runs[False].items():
        np.testing.assert_allclose(runs[True][name], value, **FLOAT32_TOL, err_msg=name)


def test_the_example_refuses_cuda_graph_on_the_cpu(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        load_example("mnist_gan").main(["--out", str(tmp_path), "--cuda-graph"])
    assert stop.value.code == 2
    assert capsys.readouterr().err.strip() == ("error: --cuda-graph: expected --device cupy (a CUDA graph "
                                                "records GPU kernels)")
