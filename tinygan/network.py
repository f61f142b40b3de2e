"""Sequential: a network as a list of layers, forward in order and backward in reverse."""
from . import backend


class Sequential:
    """layers[0] → layers[1] → … → layers[-1].

    Parameters are named ``"<layer index>.<key>"`` (``"0.W"``, ``"0.b"``, …); ``state_dict`` and
    the optimisers use those names.
    """

    def __init__(self, *layers):
        self.layers = list(layers)

    def forward(self, x, train=True):
        """x: the first layer's input -> the last layer's output."""
        for layer in self.layers:
            x = layer.forward(x, train)
        return x

    def backward(self, d_out, param_grads=True, keep_cache=False, input_grad=True):
        """dL/d(output) -> dL/d(input), filling every layer's ``grads``.

        param_grads=False back-propagates to the input only, leaving ``grads`` untouched: the
        generator step uses it to reach dL/dG(z) through D without computing D's gradients.
        input_grad=False stops at the first layer with parameters, skipping its dL/dx and the
        layers before it, and returns None: the discriminator step needs D's weight gradients,
        not dL/d(pixels). (Those earlier layers' caches wait for the next forward.)
        """
        first = 0 if input_grad else next((i for i, layer in enumerate(self.layers) if layer.params), 0)
        for layer in reversed(self.layers[first + 1:]):
            d_out = layer.backward(d_out, param_grads, keep_cache)
        return self.layers[first].backward(d_out, param_grads, keep_cache, input_grad)

    def parameters(self):
        """Yields (name, layer.params, layer.grads, key) for every parameter, in order."""
        for index, layer in enumerate(self.layers):
            for key in layer.params:
                yield f"{index}.{key}", layer.params, layer.grads, key

    def to(self, device):
        """Moves every parameter to ``device`` ('numpy' or 'cupy'); returns self."""
        for _, params, grads, key in self.parameters():
            params[key] = backend.to_device(params[key], device)
            grads.pop(key, None)
        return self

    def set_rng(self, rng):
        """Gives ``rng`` to every layer that draws random numbers (Dropout)."""
        for layer in self.layers:
            if hasattr(layer, "rng"):
                layer.rng = rng

    def state_dict(self):
        """{name: host NumPy array} of every parameter."""
        return {name: backend.to_host(params[key]) for name, params, _, key in self.parameters()}

    def load_state_dict(self, state, what="network"):
        """Copies ``state`` (from ``state_dict``) into the parameters, keeping their device and
        dtype. Raises ValueError naming every missing, unexpected or mis-shaped entry."""
        own = {name: params[key] for name, params, _, key in self.parameters()}
        problems = [f"missing {name}" for name in own if name not in state]
        problems += [f"unexpected {name}" for name in state if name not in own]
        problems += [f"{name} has shape {tuple(state[name].shape)}, the model needs "
                     f"{tuple(own[name].shape)}"
                     for name in own if name in state and state[name].shape != own[name].shape]
        if problems:
            raise ValueError(f"{what} does not match this model: " + "; ".join(problems))
        for name, params, _, key in self.parameters():
            xp = backend.array_module(params[key])
            params[key] = xp.asarray(state[name], dtype=params[key].dtype)

    def __repr__(self):
        return "Sequential(" + ", ".join(map(repr, self.layers)) + ")"
