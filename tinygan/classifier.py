"""An MNIST classifier made of tinygan's own layers, to judge a generator's samples.

A Parzen window cannot tell a generator that draws every digit from one that draws only 1s; a
classifier can. This is a plain MLP — 784 → 512 ReLU → 256 ReLU → 10, with dropout — trained by
``examples/train_classifier.py`` and shipped in ``pretrained/mnist_classifier.npz``, so nothing
trains when samples are scored. Its 256 penultimate features are the space in which
``metrics.frechet_distance`` compares samples with real digits.
"""
import os

import numpy as np

from . import checkpoint
from .layers import Dropout, Linear, ReLU, he_normal
from .losses import softmax
from .network import Sequential

PRETRAINED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pretrained",
                          "mnist_classifier.npz")
MODEL = "mnist-classifier"
N_PIXELS, HIDDEN, N_CLASSES = 784, (512, 256), 10


def mnist_classifier(seed=0, keep_input=0.8, keep_hidden=0.5):
    """The untrained network: x (N, 784) float32 in [0, 1] -> logits (N, 10)."""
    rng = np.random.default_rng(seed)
    (h1, h2) = HIDDEN
    return Sequential(Dropout(keep_input), Linear(N_PIXELS, h1, he_normal, rng), ReLU(),
                      Dropout(keep_hidden), Linear(h1, h2, he_normal, rng), ReLU(),
                      Dropout(keep_hidden), Linear(h2, N_CLASSES, he_normal, rng))


class Classifier:
    """A trained classifier network, used in evaluation mode (no dropout), on x's device."""

    def __init__(self, network):
        self.network = network

    def classify(self, x):
        """x: (N, 784) float32 in [0, 1] -> (features (N, 256): the penultimate ReLU
        activations, probabilities (N, 10): the softmax of the logits)."""
        features = x
        for layer in self.network.layers[:-1]:
            features = layer.forward(features, train=False)
        return features, softmax(self.network.layers[-1].forward(features, train=False))

    def predict(self, x):
        """(N, 784) -> (N,) the most probable class of each row."""
        return self.classify(x)[1].argmax(axis=1)


def save(path, network, provenance):
    """Writes the network's weights and ``provenance`` (how it was trained, its accuracy)."""
    checkpoint.save(path, network.state_dict(), {"model": MODEL, **provenance})


def load(path=PRETRAINED, device="numpy"):
    """(Classifier, provenance) from a file written by ``save``, on ``device``.

    Raises CheckpointError naming the file when it is missing, not a classifier, or of
    another shape."""
    if path == PRETRAINED and not os.path.exists(path):
        raise checkpoint.CheckpointError(
            f"{path}: the shipped classifier is missing (it ships in a source checkout of tinygan; "
            "train one with examples/train_classifier.py)")
    arrays, meta = checkpoint.load(path)
    if meta.get("model") != MODEL:
        raise checkpoint.CheckpointError(f"{path}: not an MNIST classifier (model "
                                         f"{meta.get('model')!r}, expected {MODEL!r})")
    network = mnist_classifier()
    try:
        network.load_state_dict(arrays, what=f"{path}")
    except ValueError as error:
        raise checkpoint.CheckpointError(str(error)) from None
    return Classifier(network.to(device)), meta
