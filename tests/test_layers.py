"""Layers: float64 gradient checks, closed-form forward values, dtypes and clear errors."""
import numpy as np
import pytest

from conftest import GRAD_TOL
from tinygan import backend, gradcheck
from tinygan.layers import (Dropout, LeakyReLU, Linear, Maxout, ReLU, Sigmoid, Tanh,
                            glorot_uniform, he_normal, sigmoid_bias_from_means, uniform)


N_IN = 6


def make_layer(name, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "Linear": lambda: Linear(N_IN, 4, rng=rng, dtype=dtype),
        "Maxout": lambda: Maxout(N_IN, 3, 5, rng=rng, dtype=dtype),
        "ReLU": ReLU,
        "LeakyReLU": lambda: LeakyReLU(0.2),
        "Sigmoid": Sigmoid,
        "Tanh": Tanh,
        "Dropout": lambda: Dropout(0.8, rng=np.random.default_rng(seed)),
        "Dropout of some columns": lambda: Dropout(0.5, rng=np.random.default_rng(seed), columns=N_IN - 2),
    }[name]()


LAYER_NAMES = ["Linear", "Maxout", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Dropout", "Dropout of some columns"]


@pytest.mark.parametrize("name", LAYER_NAMES)
@pytest.mark.parametrize("batch", [1, 3, 8])
@pytest.mark.parametrize("train", [True, False])
def test_gradient_check(name, batch, train, device, rng):
    layer = make_layer(name)
    layer_on_device = _to(layer, device)
    x = gradcheck.kink_free_input(layer_on_device, (batch, N_IN), rng, device)
    errors = gradcheck.check_layer(layer_on_device, x, train=train)
    assert set(errors) == {"x", *layer.params}
    for array_name, error in errors.items():
        assert error < GRAD_TOL, f"{layer}: {array_name} relative error {error:.2e}"


def _to(layer, device):
    for key in layer.params:
        layer.params[key] = backend.to_device(layer.params[key], device)
    if isinstance(layer, Dropout):
        layer.rng = backend.default_rng(0, device)
    return layer


# ----------------------------------------------------------------------------- closed forms

def test_linear_is_x_w_plus_b(device):
    layer = _to(Linear(2, 2, dtype=np.float64), device)
    layer.params["W"] = backend.to_device(np.array([[1.0, 2.0], [3.0, 4.0]]), device)
    layer.params["b"] = backend.to_device(np.array([10.0, 20.0]), device)
    y = layer.forward(backend.to_device(np.array([[1.0, 1.0]]), device))
    np.testing.assert_array_equal(backend.to_host(y), [[14.0, 26.0]])


def test_replacing_a_param_entry_replaces_the_parameter():
    layer = Linear(3, 2, dtype=np.float64)
    layer.params["W"] = np.zeros((3, 2))
    layer.params["b"] = np.ones(2)
    np.testing.assert_array_equal(layer.forward(np.ones((1, 3))), [[1.0, 1.0]])


def test_sigmoid_closed_form(device):
    x = backend.to_device(np.array([0.0, 2.0, -1e4, 1e4]), device)
    y = backend.to_host(Sigmoid().forward(x))
    np.testing.assert_allclose(y, [0.5, 1 / (1 + np.exp(-2.0)), 0.0, 1.0], rtol=1e-12)


def test_tanh_relu_leaky_relu_closed_forms(device):
    values = np.array([-2.0, -0.5, 0.5, 3.0])
    x = backend.to_device(values, device)
    np.testing.assert_allclose(backend.to_host(Tanh().forward(x)), np.tanh(values))
    np.testing.assert_array_equal(backend.to_host(ReLU().forward(x)), [0, 0, 0.5, 3.0])
    np.testing.assert_allclose(backend.to_host(LeakyReLU(0.1).forward(x)), [-0.2, -0.05, 0.5, 3.0])


def test_relu_gradient_at_zero_is_zero():
    layer = ReLU()
    layer.forward(np.zeros((1, 2)))
    np.testing.assert_array_equal(layer.backward(np.ones((1, 2))), [[0.0, 0.0]])


def test_maxout_takes_the_max_over_each_units_pieces(device):
    # 2 units × 3 pieces, piece-major: columns 0, 2, 4 belong to unit 0, columns 1, 3, 5 to unit 1
    layer = _to(Maxout(1, 2, 3, dtype=np.float64), device)
    layer.params["W"] = backend.to_device(np.array([[1.0, 2.0, -1.0, 3.0, 0.5, -4.0]]), device)
    layer.params["b"] = backend.to_device(np.zeros(6), device)
    y = layer.forward(backend.to_device(np.array([[1.0], [-1.0]]), device))
    np.testing.assert_array_equal(backend.to_host(y), [[1.0, 3.0], [1.0, 4.0]])
    layer.backward(backend.to_device(np.array([[10.0, 20.0], [30.0, 40.0]]), device))
    # each row's gradient reaches only its winners: row 0 pieces (0, 3), row 1 pieces (2, 5)
    np.testing.assert_array_equal(backend.to_host(layer.grads["b"]), [10.0, 0.0, 30.0, 20.0, 0.0, 40.0])


def test_maxout_gives_a_tie_to_its_lowest_piece(device):
    layer = _to(Maxout(1, 1, 4, dtype=np.float64), device)
    layer.params["W"] = backend.to_device(np.array([[0.0, 1.0, 0.0, 1.0]]), device)   # pieces 1 and 3 tie
    layer.params["b"] = backend.to_device(np.zeros(4), device)
    layer.forward(backend.to_device(np.ones((1, 1)), device))
    layer.backward(backend.to_device(np.ones((1, 1)), device))
    np.testing.assert_array_equal(backend.to_host(layer.grads["b"]), [0.0, 1.0, 0.0, 0.0])


def test_dropout_keeps_about_keep_prob_and_preserves_the_mean(device):
    keep = 0.8
    layer = Dropout(keep, rng=backend.default_rng(0, device))
    x = backend.to_device(np.ones((1000, 500), dtype=np.float32), device)
    y = backend.to_host(layer.forward(x, train=True))
    kept_fraction = np.count_nonzero(y) / y.size
    assert abs(kept_fraction - keep) < 0.005           # 5e5 Bernoulli draws: σ ≈ 0.0006
    assert abs(y.mean() - 1.0) < 0.005                 # inverted dropout keeps E[y] = x
    np.testing.assert_allclose(np.unique(y), [0.0, 1 / keep], rtol=1e-6)


def test_dropout_of_some_columns_passes_the_others_whole(device):
    layer = Dropout(0.5, rng=backend.default_rng(0, device), columns=3)
    x = backend.to_device(np.ones((400, 5), dtype=np.float32), device)
    y = backend.to_host(layer.forward(x, train=True))
    assert (y[:, 3:] == 1).all() and abs(np.count_nonzero(y[:, :3]) / 1200 - 0.5) < 0.05
    np.testing.assert_array_equal(backend.to_host(layer.backward_input(x)), y)    # dL/dx = mask


def test_dropout_evaluation_is_the_identity(device):
    layer = Dropout(0.5)
    x = backend.to_device(np.arange(6.0).reshape(2, 3), device)
    assert layer.forward(x, train=False) is x
    d_out = backend.to_device(np.ones((2, 3)), device)
    assert layer.backward(d_out) is d_out


def test_dropout_is_reproducible_from_its_seed():
    x = np.ones((4, 5), dtype=np.float32)
    first = Dropout(0.5, rng=np.random.default_rng(7)).forward(x)
    second = Dropout(0.5, rng=np.random.default_rng(7)).forward(x)
    np.testing.assert_array_equal(first, second)


# ----------------------------------------------------------------------------- dtypes

@pytest.mark.parametrize("name", LAYER_NAMES)
def test_float32_in_float32_out(name, device, rng):
    layer = _to(make_layer(name, dtype=np.float32), device)
    x = backend.to_device(rng.standard_normal((5, N_IN)).astype(np.float32), device)
    y = layer.forward(x)
    assert y.dtype == np.float32
    d_x = layer.backward(backend.array_module(y).ones_like(y))
    assert d_x.dtype == np.float32
    assert all(g.dtype == np.float32 for g in layer.grads.values())


# ----------------------------------------------------------------------------- clear errors

def test_backward_without_forward_raises():
    with pytest.raises(RuntimeError, match=r"Linear\(3 → 2\): backward called without a matching forward"):
        Linear(3, 2).backward(np.ones((1, 2), dtype=np.float32))


def test_second_backward_for_one_forward_raises():
    layer = Sigmoid()
    layer.forward(np.zeros((2, 2)))
    layer.backward(np.ones((2, 2)))
    with pytest.raises(RuntimeError, match="parameter gradients were taken"):
        layer.backward(np.ones((2, 2)))


def test_dx_may_be_taken_again_until_the_parameter_gradients_are():
    layer = Linear(3, 2, dtype=np.float64)
    layer.forward(np.ones((1, 3)))
    first = layer.backward_input(np.ones((1, 2)))
    np.testing.assert_array_equal(layer.backward_input(np.ones((1, 2))), first)
    assert layer.grads == {}
    np.testing.assert_array_equal(layer.backward(np.ones((1, 2))), first)
    assert set(layer.grads) == {"W", "b"}
    with pytest.raises(RuntimeError, match="after that forward's parameter gradients were taken"):
        layer.backward_input(np.ones((1, 2)))


def test_backward_uses_the_latest_forwards_cache():
    layer = Linear(2, 1, dtype=np.float64)
    layer.forward(np.array([[1.0, 0.0]]))
    layer.forward(np.array([[0.0, 5.0]]))
    layer.backward(np.ones((1, 1)))
    np.testing.assert_array_equal(layer.grads["W"], [[0.0], [5.0]])


@pytest.mark.parametrize("layer", [Linear(784, 10), Maxout(784, 240, 5)])
def test_wrong_input_shape_names_the_layer_and_the_expected_shape(layer):
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 784\), got \(100, 783\)"):
        layer.forward(np.zeros((100, 783), dtype=np.float32))


def test_wrong_input_dtype_is_refused():
    with pytest.raises(TypeError, match=r"Linear\(3 → 2\): expected input of dtype float32"):
        Linear(3, 2).forward(np.zeros((1, 3)))


def test_wrong_d_out_shape_is_refused():
    layer = ReLU()
    layer.forward(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"ReLU\(\): backward expected d_out of shape \(2, 3\)"):
        layer.backward(np.zeros((3, 2)))


def test_dropout_needs_a_generator_in_training():
    with pytest.raises(RuntimeError, match="needs a random generator"):
        Dropout(0.5).forward(np.ones((2, 2)))
    with pytest.raises(ValueError, match="keep_prob"):
        Dropout(0.0)


# ----------------------------------------------------------------------------- initialisers

def test_initialisers_have_the_stated_ranges_and_scales():
    rng = np.random.default_rng(0)
    w = uniform(0.05)((784, 1200), rng)
    assert -0.05 <= w.min() and w.max() <= 0.05 and abs(w.std() - 0.05 / np.sqrt(3)) < 1e-3
    limit = np.sqrt(6 / (784 + 1200))
    w = glorot_uniform((784, 1200), rng)
    assert -limit <= w.min() and w.max() <= limit
    assert abs(he_normal((784, 1200), rng).std() - np.sqrt(2 / 784)) < 1e-3


def test_sigmoid_bias_from_means_inverts_the_sigmoid_and_clips():
    x = np.array([[0.0, 0.5, 1.0, 0.2], [0.0, 0.5, 1.0, 0.4]], dtype=np.float32)
    b = sigmoid_bias_from_means(x.mean(axis=0), eps=1e-3)
    np.testing.assert_allclose(1 / (1 + np.exp(-b)), [1e-3, 0.5, 1 - 1e-3, 0.3], rtol=1e-6)


def test_a_counter_rngs_dropout_keeps_the_same_units_on_every_device_and_spares_the_label_columns(device):
    x = np.random.default_rng(0).standard_normal((400, 50)).astype(np.float32)
    masks = []
    for xp in (np, backend.get_xp(device)):
        layer = Dropout(0.8, rng=backend.CounterRNG(4, xp), columns=45)
        y = layer.forward(xp.asarray(x))
        masks.append(backend.to_host(layer.backward(xp.ones_like(y))))
        np.testing.assert_array_equal(backend.to_host(y), x * masks[-1])
    np.testing.assert_array_equal(masks[0], masks[1])
    assert set(np.unique(masks[0][:, :45])) == {0, np.float32(1 / 0.8)} and np.all(masks[0][:, 45:] == 1)
    assert abs(np.count_nonzero(masks[0][:, :45]) / masks[0][:, :45].size - 0.8) < 0.01
