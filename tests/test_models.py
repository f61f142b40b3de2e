"""The networks a Config describes: the size estimate that build_gan checks before allocating."""
from dataclasses import replace

import numpy as np
import pytest

from tinygan.models import ARCHITECTURES
from tinygan.presets import PRESETS

SMALL = {"mlp": dict(G_hidden=12, D_units=6, D_pieces=3),
         "dcgan": dict(G_channels=8, D_channels=4, batch_size=4)}


@pytest.mark.parametrize("image_shape", [(8, 8, 1), (12, 16, 3)])
@pytest.mark.parametrize("architecture, changes", [("mlp", {}), ("mlp", dict(n_classes=3)),
                                                   ("dcgan", {}), ("dcgan", dict(dense_units=10)),
                                                   ("dcgan", dict(dense_units=10, n_classes=3))])
def test_the_size_estimate_counts_every_parameter_of_both_networks(architecture, changes, image_shape):
    preset = "dcgan" if architecture == "dcgan" else "default"
    config = replace(PRESETS[preset], noise_dim=5, **SMALL[architecture], **changes)
    networks, rng = ARCHITECTURES[architecture], np.random.default_rng(0)
    G = networks.generator(config, np.full(image_shape, 0.2), rng)
    D = networks.discriminator(config, image_shape, rng)
    built = sum(value.size for network in (G, D) for _, value, _ in network.parameters())
    assert networks.sizes(config, image_shape)[0] == built
