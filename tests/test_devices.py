"""The device path against NumPy: every fused kernel matches its NumPy twin, every layer and the
paper's networks give the same float32 outputs and gradients on the device as on the host, and a
checkpoint written on one device resumes on the other. On a GPU the device is CuPy (cuBLAS against OpenBLAS: agreement to float32
tolerance); everywhere it is also the strict stand-in, which runs the same code path on the CPU
and refuses any implicit host conversion along it."""
import inspect

import numpy as np
import pytest

from test_layers import LAYER_NAMES, N_IN, _to, make_layer
from tinygan import backend
from tinygan.layers import Maxout
from tinygan.checkpoint import load_gan, save_gan
from tinygan.models import build_gan
from tinygan.presets import PRESETS, Config

FLOAT32_TOL = {"rtol": 1e-4, "atol": 1e-5}   # float32 results of differently ordered sums


def assert_agree(on_device, on_host, what):
    np.testing.assert_allclose(backend.to_host(on_device), on_host, **FLOAT32_TOL, err_msg=what)


@pytest.mark.parametrize("op", [op for op in backend.ELEMENTWISE if not op.reads_raw], ids=lambda op: op.__qualname__)
def test_every_fused_kernel_matches_its_numpy_twin(op, accelerator, rng):
    """Each argument an array of its own random numbers (scalars broadcast the same way): a
    formula's every term shows. Kernels that return new arrays get signed inputs; those that
    update in place (optimisers) get positive ones, as their running means of g² are."""
    n_inputs = len(op.in_params.split(","))
    in_place = len(inspect.signature(op.numpy_twin).parameters) > n_inputs
    low = 0.1 if in_place else -1.0
    args = [rng.uniform(low, 1.0, (7, 5)).astype(np.float32)
            for _ in range(n_inputs + in_place * len(op.out_params.split(",")))]
    on_host, on_device = [a.copy() for a in args], [backend.to_device(a, accelerator) for a in args]
    host_result, device_result = op(*on_host), op(*on_device)
    if in_place:
        host_result, device_result = on_host[n_inputs:], on_device[n_inputs:]
    elif not isinstance(host_result, tuple):
        host_result, device_result = [host_result], [device_result]
    assert len(device_result) == len(host_result)
    for on_dev, on_cpu, name in zip(device_result, host_result, op.out_params.split(",")):
        assert_agree(on_dev, on_cpu, f"{op.__qualname__}: {name.split()[-1]}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_maxouts_kernels_match_their_twins_ties_included(dtype, accelerator, rng):
    """The max-and-winner kernel and the scatter to the winners, on values in steps of ½ (many
    ties, which go to the lowest piece) and on a (N, pieces·units) shape with units ≠ pieces."""
    n, pieces, units = 9, 5, 7
    z = (rng.integers(-3, 3, (n, pieces * units)) / 2).astype(dtype)
    b = (rng.integers(-1, 1, pieces * units) / 2).astype(dtype)
    d_out = rng.standard_normal((n, units)).astype(dtype)
    host = [np.empty((n, units), dtype), np.empty((n, units), np.int32), np.empty((n, pieces * units), dtype)]
    device = [backend.to_device(a, accelerator) for a in host]
    for arrays, put in ((host, np.asarray), (device, lambda a: backend.to_device(a, accelerator))):
        Maxout._max_and_winner(put(z), put(b), pieces, units, arrays[0], arrays[1])
        Maxout._to_winners(put(d_out), arrays[1], pieces, units, arrays[2])
    np.testing.assert_array_equal(host[1], np.argmax((z + b).reshape(n, pieces, units), axis=1))
    for on_device, on_host in zip(device, host):
        np.testing.assert_array_equal(backend.to_host(on_device), on_host)


@pytest.mark.parametrize("name", LAYER_NAMES)
def test_every_layer_gives_the_same_float32_forward_and_backward_on_the_device(name, accelerator, rng):
    """Evaluation mode, so dropout, whose masks each device draws from its own generator, is the
    identity on both; the gradient checks cover its masks on every device."""
    host, device = make_layer(name, np.float32), _to(make_layer(name, np.float32), accelerator)
    x = rng.standard_normal((7, N_IN)).astype(np.float32)
    y = host.forward(x, train=False)
    d_out = rng.standard_normal(y.shape).astype(np.float32)
    assert_agree(device.forward(backend.to_device(x, accelerator), train=False), y, f"{host}: y")
    assert_agree(device.backward(backend.to_device(d_out, accelerator)), host.backward(d_out), f"{host}: dL/dx")
    for key, grad in host.grads.items():
        assert_agree(device.grads[key], grad, f"{host}: dL/d{key}")


def test_the_papers_networks_agree_on_the_device(accelerator, rng):
    """The default preset's G and D (784 pixels, weights drawn on the host from one seed):
    G(z), D's logits, D's parameter gradients and G's through D (G's step)."""
    means = rng.random(784) * 0.5
    host, device = build_gan(PRESETS["default"], means), build_gan(PRESETS["default"], means, accelerator)
    z = host.sample_noise(64)
    x = host.generate(z, train=False)
    assert_agree(device.generate(backend.to_device(z, accelerator), train=False), x, "G(z)")
    logits = host.D.forward(x, train=False)
    assert_agree(device.D.forward(backend.to_device(x, accelerator), train=False), logits, "D's logits")
    d_logits = rng.standard_normal(logits.shape).astype(np.float32)
    for gan, d in ((host, d_logits), (device, backend.to_device(d_logits, accelerator))):
        d_x = gan.D.backward_input(d)                   # G's step: through D to its input ...
        gan.D.backward(d)                               # ... and D's own gradients
        gan.G.backward(d_x)
    for net in ("G", "D"):
        for (name, _, grad), (_, _, device_grad) in zip(getattr(host, net).parameters(),
                                                                  getattr(device, net).parameters()):
            assert_agree(device_grad, grad, f"{net} {name}")


def _train_once(gan, device, rng):
    batch = backend.to_device(rng.random((8, 16), dtype=np.float32), device)
    gan.train_iteration(iter([batch]))


def assert_same_state(gan, reference):
    """Every weight and optimiser array of ``gan`` equals ``reference``'s, bit for bit."""
    state, expected = gan.state_dict(), reference.state_dict()
    assert state.keys() == expected.keys()
    for name, value in expected.items():
        np.testing.assert_array_equal(state[name], value, err_msg=name)


def test_a_checkpoint_written_on_the_device_resumes_on_the_cpu_and_back(accelerator, rng, tmp_path):
    """Weights and optimiser state move bit for bit: device → file → CPU → file → device."""
    config = Config(noise_dim=4, G_hidden=12, D_units=6, D_pieces=3, batch_size=8)
    means = np.full(16, 0.3)
    on_device = build_gan(config, means, accelerator)
    _train_once(on_device, accelerator, rng)
    save_gan(tmp_path / "device.npz", on_device, config, iteration=1, epoch=0)
    on_host, _, meta = load_gan(tmp_path / "device.npz", "numpy")
    assert meta["iteration"] == 1 and {backend.device_of(value) for _, value, _ in on_host.G.parameters()} == {"numpy"}
    assert_same_state(on_host, on_device)
    _train_once(on_host, "numpy", rng)
    save_gan(tmp_path / "host.npz", on_host, config, iteration=2, epoch=0)
    back, _, meta = load_gan(tmp_path / "host.npz", accelerator)
    assert meta["iteration"] == 2 and {backend.device_of(value) for _, value, _ in back.D.parameters()} == {"cupy"}
    assert_same_state(back, on_host)
