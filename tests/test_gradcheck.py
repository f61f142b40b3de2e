"""The gradient checker itself: it must catch wrong gradients and refuse float32."""
import numpy as np
import pytest

from tinygan import gradcheck
from tinygan.layers import Linear, Maxout, ReLU


class WrongLinear(Linear):
    """A Linear layer whose weight gradient forgot the transpose's partner (a classic bug)."""

    def _grad_params(self, d_out, x):
        super()._grad_params(d_out, x)
        self.grads["W"] = self.grads["W"] * 2


def test_catches_a_wrong_gradient():
    layer = WrongLinear(3, 2, rng=np.random.default_rng(0), dtype=np.float64)
    errors = gradcheck.check_layer(layer, np.random.default_rng(1).standard_normal((4, 3)))
    assert errors["x"] < 1e-6 and errors["W"] > 0.1


def test_refuses_float32():
    with pytest.raises(TypeError, match="float64"):
        gradcheck.check_layer(Linear(2, 2), np.zeros((1, 2), dtype=np.float32))


def test_relative_error_closed_form():
    assert gradcheck.relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.2])) == pytest.approx(0.2 / 2.2)
    assert gradcheck.relative_error(np.zeros(3), np.zeros(3)) == 0.0


def test_kink_free_inputs_stay_away_from_kinks():
    rng = np.random.default_rng(0)
    maxout = Maxout(4, 6, 5, rng=rng, dtype=np.float64)
    x = gradcheck.kink_free_input(maxout, (16, 4), rng)
    assert gradcheck.distance_to_kink(maxout, x) > gradcheck.KINK_MARGIN
    x = gradcheck.kink_free_input(ReLU(), (16, 4), rng)
    assert np.abs(x).min() > gradcheck.KINK_MARGIN
