"""Momentum SGD and the paper's schedules.

The update is the one the paper's code (pylearn2) used:
    v ← μ·v − lr·g
    θ ← θ + v                  (Nesterov: θ ← θ + μ·v − lr·g, the look-ahead form)
"""
from . import backend


class MomentumSGD:
    """Momentum SGD over every parameter of a ``Sequential``.

    lr and momentum are plain attributes: schedules set them between updates. Velocities
    (same shape, dtype and device as their parameters) are created on the first step.
    """

    def __init__(self, network, lr=0.1, momentum=0.5, nesterov=False):
        self.network, self.lr, self.momentum, self.nesterov = network, lr, momentum, nesterov
        self.velocities = {}
        self.steps = 0

    def step(self):
        """Applies one update from the gradients the last backward pass left in ``grads``."""
        for name, params, grads, key in self.network.parameters():
            theta, grad = params[key], grads[key]
            if name not in self.velocities:
                self.velocities[name] = backend.array_module(theta).zeros_like(theta)
            velocity = self.velocities[name]
            velocity *= self.momentum
            velocity -= self.lr * grad                        # v ← μ·v − lr·g
            if self.nesterov:
                theta += self.momentum * velocity - self.lr * grad
            else:
                theta += velocity                             # θ ← θ + v
        self.steps += 1

    def state_dict(self):
        """{"v.<name>": host velocity, "steps": count} for checkpoints."""
        state = {"v." + name: backend.to_host(v) for name, v in self.velocities.items()}
        state["steps"] = self.steps
        return state

    def load_state_dict(self, state):
        """Restores velocities (onto their parameters' device) and the step count."""
        own = {name: params[key] for name, params, _, key in self.network.parameters()}
        self.velocities = {}
        for key, value in state.items():
            if key == "steps":
                continue
            name = key[len("v."):]
            if name not in own or own[name].shape != value.shape:
                raise ValueError(f"optimiser state {key} of shape {value.shape} does not match "
                                 "this model's parameters")
            xp = backend.array_module(own[name])
            self.velocities[name] = xp.asarray(value, dtype=own[name].dtype)
        self.steps = int(state["steps"])


def exponential_decay(lr0, decay_factor, min_lr, step):
    """lr after ``step`` updates when each update divides it by decay_factor, floored at
    min_lr (pylearn2's ExponentialDecay; the paper: 0.1, 1.000004, 1e-6)."""
    return max(lr0 / decay_factor ** step, min_lr)


def linear_ramp(start_value, end_value, start_epoch, end_epoch, epoch):
    """``start_value`` until ``start_epoch``, then linear to ``end_value`` at ``end_epoch`` and
    constant after (pylearn2's MomentumAdjustor; the paper: 0.5 → 0.7 over epochs 1–250).
    ``epoch`` counts completed epochs."""
    if epoch <= start_epoch:
        return start_value
    if epoch >= end_epoch:
        return end_value
    alpha = (epoch - start_epoch) / (end_epoch - start_epoch)
    return (1 - alpha) * start_value + alpha * end_value
