"""Sequential: a network as a list of layers, forward in order and backward in reverse."""
from . import backend


class Sequential:
    """layers[0] → layers[1] → … → layers[-1].

    Parameters are named ``"<layer index>.<key>"`` (``"0.W"``, ``"0.b"``, …); ``state_dict`` and
    the optimisers use those names. ``state_dict`` holds the layers' buffers too (BatchNorm's
    running statistics, ``"2.running_mean"``), which no optimiser sees.
    """

    def __init__(self, *layers):
        self.layers = list(layers)

    def forward(self, x, train=True):
        """x: the first layer's input -> the last layer's output.

        Where a layer whose output ends in "+ b" (Linear, a convolution) feeds an activation, the
        activation adds b in its own kernel: f(x·W + b) reads and writes the (N, n_out) array once
        instead of twice. Each layer still keeps its own cache, so backward is as without pairing."""
        bias = None                                  # a bias the layer below left for this one
        for layer, above in zip(self.layers, self.layers[1:] + [None]):
            if bias is not None:
                x, bias = layer.forward(x, train, bias=bias), None
            elif layer.hands_on_bias and getattr(above, "takes_bias", False):
                x, bias = layer.forward_leaving_bias(x, train)
            else:
                x = layer.forward(x, train)
        return x

    def backward(self, d_out):
        """dL/d(output) -> every layer's parameter gradients, assigned to its ``grads``.

        dL/dx is carried down only as far as the lowest layer with parameters: nothing below it
        needs one (D's step never needs dL/d(pixels), G's step never dL/dz)."""
        lowest = next((i for i, layer in enumerate(self.layers) if layer.params), len(self.layers))
        for layer in reversed(self.layers[lowest + 1:]):
            d_out = layer.backward(d_out)
        if lowest < len(self.layers):
            self.layers[lowest].backward_params(d_out)

    def backward_input(self, d_out):
        """dL/d(output) -> dL/d(input), leaving every ``grads`` untouched: the generator step
        reaches dL/dG(z) through D this way without computing D's gradients."""
        for layer in reversed(self.layers):
            d_out = layer.backward_input(d_out)
        return d_out

    def parameters(self):
        """Yields ("<layer index>.<key>", value, gradient) for every parameter, in order (see
        ``Layer.parameters``)."""
        for index, layer in enumerate(self.layers):
            for key, value, grad in layer.parameters():
                yield f"{index}.{key}", value, grad

    def _slots(self):
        """(name, dict, key) of every parameter and buffer, for the methods that replace arrays."""
        return [(f"{index}.{key}", arrays, key) for index, layer in enumerate(self.layers)
                for arrays in (layer.params, layer.buffers) for key in arrays]

    @property
    def dtype(self):
        """The parameters' dtype: float32 for training, float64 in the gradient checks."""
        return next(layer for layer in self.layers if layer.params).dtype

    @property
    def out_features(self):
        """The width of the output rows: that of the last layer that sets one (Linear, Maxout, a
        flattening Reshape)."""
        return next(layer.out_features for layer in reversed(self.layers) if getattr(layer, "out_features", None))

    def to(self, device):
        """Moves every parameter to ``device`` ('numpy' or 'cupy'); returns self."""
        for _, arrays, key in self._slots():
            arrays[key] = backend.to_device(arrays[key], device)
        for layer in self.layers:
            layer.grads.clear()
        return self

    def set_rng(self, rng):
        """Gives ``rng`` to every layer that draws random numbers (Dropout)."""
        for layer in self.layers:
            if hasattr(layer, "rng"):
                layer.rng = rng

    def state_dict(self):
        """{name: host NumPy array} of every parameter and buffer."""
        return {name: backend.to_host(arrays[key]) for name, arrays, key in self._slots()}

    def load_state_dict(self, state, what="network"):
        """Copies ``state`` (from ``state_dict``) into the parameters, keeping their device and
        dtype. Raises ValueError naming every missing, unexpected or mis-shaped entry."""
        own = {name: arrays[key] for name, arrays, key in self._slots()}
        problems = [f"missing {name}" for name in own if name not in state]
        problems += [f"unexpected {name}" for name in state if name not in own]
        problems += [f"{name} has shape {tuple(state[name].shape)}, the model needs "
                     f"{tuple(own[name].shape)}"
                     for name in own if name in state and state[name].shape != own[name].shape]
        if problems:
            raise ValueError(f"{what} does not match this model: " + "; ".join(problems))
        for name, arrays, key in self._slots():
            xp = backend.array_module(arrays[key])
            arrays[key] = xp.asarray(state[name], dtype=arrays[key].dtype)

    def __repr__(self):
        return "Sequential(" + ", ".join(map(repr, self.layers)) + ")"
