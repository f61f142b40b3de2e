"""Sequential: gradients through a whole network, input-only backprop, state dicts, and the
bias that a Linear or a convolution leaves to the activation after it."""
import collections

import numpy as np
import pytest

import strict_xp
from conftest import GRAD_TOL
from tinygan import backend, gradcheck
from tinygan.conv import Conv2D, ConvTranspose2D
from tinygan.layers import BatchNorm, Dropout, LeakyReLU, Linear, Maxout, ReLU, Sigmoid, Tanh, normal
from tinygan.network import Sequential



def small_discriminator(dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    return Sequential(Dropout(0.8), Maxout(5, 4, 3, rng=rng, dtype=dtype), Dropout(0.5),
                      Linear(4, 1, rng=rng, dtype=dtype))


def small_generator(dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    return Sequential(Linear(3, 6, rng=rng, dtype=dtype), ReLU(),
                      Linear(6, 5, rng=rng, dtype=dtype), Sigmoid())


@pytest.mark.parametrize("make", [small_discriminator, small_generator])
@pytest.mark.parametrize("train", [True, False])
def test_gradient_check_through_a_network(make, train, device):
    net = make().to(device)
    net.set_rng(backend.default_rng(0, device))
    n_in = net.layers[0].in_features or net.layers[1].in_features
    x = backend.to_device(np.random.default_rng(3).standard_normal((4, n_in)), device)
    errors = gradcheck.check_layer(net, x, train=train)
    assert set(errors) == {"x"} | {name for name, *_ in net.parameters()}
    assert max(errors.values()) < GRAD_TOL, errors


def test_backward_input_leaves_grads_untouched():
    net = small_generator()
    x = np.random.default_rng(0).standard_normal((2, 3))
    net.forward(x)
    net.backward(np.ones((2, 5)))
    before = {name: grad.copy() for name, _, grad in net.parameters()}
    net.forward(2 * x)
    d_x = net.backward_input(np.ones((2, 5)))
    assert d_x.shape == (2, 3)
    for name, _, grad in net.parameters():
        np.testing.assert_array_equal(grad, before[name])


def test_backward_gives_every_layers_full_gradients_and_skips_only_the_unneeded_dx():
    x = np.random.default_rng(0).standard_normal((4, 5))
    d_out = np.random.default_rng(1).standard_normal((4, 1))
    nets = []
    for _ in range(2):
        net = small_discriminator()
        net.set_rng(np.random.default_rng(2))             # the same dropout masks both times
        net.forward(x)
        nets.append(net)
    skipped = []
    nets[0].layers[1]._grad_input = lambda *args: skipped.append("dL/d(pixels)")   # the lowest Maxout's
    assert nets[0].backward(d_out) is None
    assert skipped == []
    d = d_out
    for layer in reversed(nets[1].layers):                # by hand: every layer's full backward
        d = layer.backward(d)
    for (name, _, grad), (_, _, by_hand) in zip(nets[0].parameters(), nets[1].parameters()):
        np.testing.assert_array_equal(grad, by_hand, err_msg=name)


def test_state_dict_round_trip_keeps_device_and_dtype():
    source, target = small_generator(np.float32, seed=1), small_generator(np.float32, seed=2)
    state = source.state_dict()
    assert sorted(state) == ["0.W", "0.b", "2.W", "2.b"]
    target.load_state_dict(state)
    x = np.ones((1, 3), dtype=np.float32)
    np.testing.assert_array_equal(source.forward(x), target.forward(x))
    assert all(value.dtype == np.float32 for _, value, _ in target.parameters())


def test_load_state_dict_names_every_mismatch():
    state = small_generator().state_dict()
    state["2.W"] = np.zeros((7, 5))
    del state["0.b"]
    state["9.W"] = np.zeros(1)
    with pytest.raises(ValueError) as error:
        small_generator().load_state_dict(state, what="generator")
    message = str(error.value)
    assert "generator does not match" in message
    assert "missing 0.b" in message and "unexpected 9.W" in message
    assert "2.W has shape (7, 5), the model needs (6, 5)" in message


def test_set_rng_reaches_every_dropout_layer():
    net = small_discriminator()
    generator = np.random.default_rng(0)
    net.set_rng(generator)
    assert net.layers[0].rng is generator and net.layers[2].rng is generator


def test_a_network_knows_its_dtype_and_its_output_width():
    rng = np.random.default_rng(0)
    net = Sequential(Linear(3, 5, rng=rng, dtype=np.float64), ReLU(), Linear(5, 7, rng=rng, dtype=np.float64))
    assert net.dtype == np.float64 and net.out_features == 7
    assert Sequential(Maxout(3, 4, 2, rng=rng), ReLU()).out_features == 4


PAIRS = {   # a layer whose output ends in "+ b", and the activation that adds b in its own kernel
    "Linear+ReLU": (lambda rng: Linear(3, 4, rng=rng, dtype=np.float64), ReLU, (5, 3)),
    "Linear+LeakyReLU": (lambda rng: Linear(3, 4, rng=rng, dtype=np.float64), lambda: LeakyReLU(0.2), (5, 3)),
    "Linear+Sigmoid": (lambda rng: Linear(3, 4, rng=rng, dtype=np.float64), Sigmoid, (5, 3)),
    "Linear+Tanh": (lambda rng: Linear(3, 4, rng=rng, dtype=np.float64), Tanh, (5, 3)),
    "Conv2D+LeakyReLU": (lambda rng: Conv2D(2, 3, 4, 2, 1, init=normal(0.5), rng=rng, dtype=np.float64),
                         lambda: LeakyReLU(0.2), (2, 4, 4, 2)),
    "ConvTranspose2D+Sigmoid": (lambda rng: ConvTranspose2D(2, 3, 4, 2, 1, init=normal(0.5), rng=rng, dtype=np.float64),
                                Sigmoid, (2, 2, 2, 2)),
}


def paired(name, dtype=np.float64, seed=0):
    """Sequential(layer, activation) of PAIRS[name], with a bias large enough to move every unit, and an input."""
    make_layer, make_activation, x_shape = PAIRS[name]
    rng = np.random.default_rng(seed)
    layer = make_layer(rng)
    layer.params["b"] = rng.standard_normal(layer.params["b"].shape)
    net = Sequential(layer, make_activation())
    for arrays in (layer.params, layer.buffers):
        for key in arrays:
            arrays[key] = arrays[key].astype(dtype)
    return net, rng.standard_normal(x_shape).astype(dtype)


@pytest.mark.parametrize("name", PAIRS)
def test_a_paired_activation_computes_what_the_two_layers_compute_apart(name, device):
    """Sequential(layer, f) gives f(layer(x)) bit for bit, as the two layers' own forwards do one
    after the other; on the device path the bias is added in f's kernel, with no add of its own."""
    net, x = paired(name, np.float32)
    net.to(device)
    x = backend.to_device(x, device)
    launches = []
    for forward in (lambda: net.layers[1].forward(net.layers[0].forward(x)), lambda: net.forward(x)):
        strict_xp.LAUNCHES.clear()
        launches.append((backend.to_host(forward()), collections.Counter(strict_xp.LAUNCHES)))
    (apart, apart_launches), (together, together_launches) = launches
    np.testing.assert_array_equal(together, apart)
    if device == "cupy" and apart_launches:     # the strict stand-in, which counts launches
        assert apart_launches - together_launches == collections.Counter({"add": 1}), (apart_launches, together_launches)


@pytest.mark.parametrize("name", PAIRS)
def test_gradient_check_through_a_paired_activation(name, device):
    net, x = paired(name)
    net.to(device)
    errors = gradcheck.check_layer(net, backend.to_device(x, device))
    assert set(errors) == {"x", "0.W", "0.b"}
    assert max(errors.values()) < GRAD_TOL, errors


@pytest.mark.parametrize("activation", [ReLU, lambda: LeakyReLU(0.2), Sigmoid, Tanh])
def test_an_activation_passes_nan_on(activation, device):
    """A NaN in a pre-activation stays NaN (CUDA's max would turn it into 0), so that it reaches
    the run's NaN check; -inf gives f(-inf)."""
    x = backend.to_device(np.array([[np.nan, -np.inf, 1.0]], dtype=np.float32), device)
    bias = backend.to_device(np.zeros(3, dtype=np.float32), device)
    y = backend.to_host(activation().forward(x, bias=bias))
    assert np.isnan(y[0, 0]) and not np.isnan(y[0, 1:]).any()


def test_leaky_relu_refuses_a_negative_slope():
    with pytest.raises(ValueError, match="LeakyReLU: slope must be ≥ 0, got -0.1"):
        LeakyReLU(-0.1)


def test_only_a_layer_whose_output_ends_in_a_bias_hands_it_on(device):
    """Maxout adds its bias inside its max, and BatchNorm's β is no bias to hand on: an activation
    after either adds nothing, and the network computes what its layers compute one by one."""
    rng = np.random.default_rng(0)
    for layers in ([Maxout(3, 4, 2, rng=rng), ReLU()], [Linear(3, 4, rng=rng), BatchNorm(4), Sigmoid()]):
        net = Sequential(*layers).to(device)
        x = backend.to_device(rng.standard_normal((6, 3)).astype(np.float32), device)
        apart = x
        for layer in net.layers:
            apart = layer.forward(apart)
        np.testing.assert_array_equal(backend.to_host(net.forward(x)), backend.to_host(apart))
