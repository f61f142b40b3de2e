"""Every number of a run as one configuration, and the presets: the MNIST GAN of the paper's
released code (goodfeli/adversarial, mnist.yaml) number for number, the default that trains
under Algorithm 1, a WGAN, a conditional GAN and a DCGAN. ``models.build_gan`` builds the GAN a
configuration describes; ``optim.apply_paper_schedule`` applies its schedules."""
import numbers
from dataclasses import asdict, dataclass, fields, replace

import numpy as np

from .gan import OptionError, check_options
from .losses import GENERATOR_LOSSES
from .models import ARCHITECTURES, OBJECTIVES, OPTIMIZERS


@dataclass(frozen=True)
class Config:
    """Every number of a run: the networks, the optimisers' schedules and Algorithm 1's options.

    The defaults are mnist.yaml's (``PRESETS["paper"]``), with Algorithm 1's alternating update
    and the uniform noise prior where the released code updated simultaneously and drew
    Gaussian noise (both a field away). Epoch counts are completed epochs.
    """
    noise_dim: int = 100
    noise_range: float = float(np.sqrt(3))   # z ~ U(−√3, √3)^100, unit variance
    noise_prior: str = "uniform"             # "gaussian": z ~ N(0, noise_range²/3), the released
                                             # code's Generator default (mnist.yaml sets none)
    G_hidden: int = 1200                     # G: ReLU 1200 → ReLU 1200 → Sigmoid 784
    G_irange: float = 0.05
    D_units: int = 240                       # D: Maxout 240×5 → Maxout 240×5 → Sigmoid 1
    D_pieces: int = 5
    D_irange: float = 0.005
    D_keep_input: float = 0.8                # dropout keep probability on D's pixels
    D_keep_hidden: float = 0.5               # ... and on D's hidden units
    batch_size: int = 100
    lr: float = 0.1
    D_lr_scale: float = 1.0                  # D's lr = lr × D_lr_scale
    G_lr_scale: float = 1.0                  # G's lr = lr × G_lr_scale
    lr_decay: float = 1.000004               # lr ÷ 1.000004 after every update
    min_lr: float = 1e-6
    momentum_start: float = 0.5              # 0.5 → 0.7, linearly over epochs 1–250
    momentum_end: float = 0.7
    momentum_start_epoch: int = 1
    momentum_end_epoch: int = 250
    k: int = 1                               # D steps per G step (Algorithm 1, line 2)
    D_loss_weight: float = 0.5               # D's cost: weight × [BCE(D(x), 1) + BCE(D(G(z)), 0)]
    generator_loss: str = "non-saturating"   # −log D(G(z)), the paper's §3
    update: str = "alternating"              # Algorithm 1; "simultaneous": the released code
    G_noise: str = "fresh"                   # G's step draws a fresh z (Algorithm 1, line 7)
    seed: int = 0                            # weights, noise, dropout masks and data order
    optimizer: str = "momentum"              # "rmsprop" or "adam": lr then is theirs, momentum unused
    objective: str = "gan"                   # "wasserstein": D is a WGAN critic (Arjovsky et al., 2017)
    clip: float = 0.0                        # WGAN: the critic's weights are clipped to [−clip, clip]
    n_classes: int = 0                       # > 0: a conditional GAN on that many labels (Mirza & Osindero)
    architecture: str = "mlp"                # "dcgan": a convolutional D, a transposed-convolutional G
    G_channels: int = 128                    # DCGAN G: z → dense G_channels·(H/4)·(W/4) → ConvT G_channels/2 → image
    D_channels: int = 64                     # DCGAN D: Conv D_channels → Conv 2·D_channels → dense 1
    dense_units: int = 0                     # DCGAN: > 0 adds a dense layer this wide to G (after z) and to D (before its logit)
    init_std: float = 0.02                   # DCGAN: every weight ~ N(0, init_std²)
    leak: float = 0.2                        # DCGAN D: LeakyReLU's slope

    def __post_init__(self):
        for field in fields(self):
            value = getattr(self, field.name)
            _require(field.name, not isinstance(value, bool) and isinstance(value, _KINDS[field.type][0]),
                     _KINDS[field.type][1])
        check_options(self.k, self.update, self.G_noise, self.noise_prior)      # Algorithm 1's, as the GAN checks them
        for name in ("noise_dim", "G_hidden", "D_units", "D_pieces", "batch_size", "D_channels"):
            _require(name, getattr(self, name) >= 1, "a whole number ≥ 1")
        _require("dense_units", self.dense_units >= 0, "a whole number ≥ 0 (0: no dense layer)")
        for name in ("noise_range", "G_irange", "D_irange", "lr", "D_lr_scale", "G_lr_scale", "min_lr",
                     "D_loss_weight"):
            _require(name, getattr(self, name) > 0, "a number > 0")
        for name in ("D_keep_input", "D_keep_hidden"):
            _require(name, 0 < getattr(self, name) <= 1, "a keep probability in (0, 1]")
        _require("lr_decay", self.lr_decay >= 1, "a number ≥ 1 (lr is divided by it)")
        for name in ("momentum_start", "momentum_end"):
            _require(name, 0 <= getattr(self, name) < 1, "a momentum in [0, 1)")
        _require("momentum_end_epoch", self.momentum_end_epoch > self.momentum_start_epoch >= 0,
                 "an epoch after momentum_start_epoch ≥ 0")
        _require("generator_loss", self.generator_loss in GENERATOR_LOSSES, f"one of {sorted(GENERATOR_LOSSES)}")
        _require("optimizer", self.optimizer in OPTIMIZERS, f"one of {sorted(OPTIMIZERS)}")
        _require("objective", self.objective in OBJECTIVES, f"one of {sorted(OBJECTIVES)}")
        _require("generator_loss", (self.objective == "wasserstein") == (self.generator_loss == "wasserstein"),
                 "'wasserstein' exactly when the objective is")
        _require("clip", self.clip >= 0, "a number ≥ 0 (0: no clipping)")
        _require("n_classes", self.n_classes >= 0, "a whole number ≥ 0 (0: unconditional)")
        _require("architecture", self.architecture in ARCHITECTURES, f"one of {sorted(ARCHITECTURES)}")
        _require("G_channels", self.G_channels >= 2 and self.G_channels % 2 == 0, "an even whole number ≥ 2")
        _require("init_std", self.init_std > 0, "a number > 0")
        _require("leak", 0 <= self.leak < 1, "a slope in [0, 1)")

    def to_dict(self):
        return asdict(self)

    @classmethod
    def field_types(cls):
        """{field name: its type (int, float or str)}, for parsing NAME=VALUE settings."""
        return {field.name: field.type for field in fields(cls)}


_KINDS = {int: (numbers.Integral, "a whole number"), float: (numbers.Real, "a number"), str: (str, "a name")}


def _require(name, holds, expected):
    if not holds:
        raise OptionError(name, expected)


PRESETS = {
    "paper": Config(),
}
# Algorithm 1 (alternating, k = 1) on the paper's numbers collapses; a learning rate of 0.2 instead
# of 0.1, for both networks, is the smallest change found that trains it: G keeps pace with a D that
# answers each of its steps before G's outputs saturate (docs/algorithm1.md has the measurements).
PRESETS["default"] = replace(PRESETS["paper"], lr=0.2)
PRESETS["wgan"] = replace(  # the WGAN paper's settings on the paper's networks, without dropout
    PRESETS["paper"], objective="wasserstein", generator_loss="wasserstein", clip=0.01, k=5,
    optimizer="rmsprop", lr=5e-5, lr_decay=1.0, D_keep_input=1.0, D_keep_hidden=1.0)
PRESETS["cgan"] = replace(PRESETS["default"], n_classes=10)
# Radford et al. (2016) sized for 28 × 28 (Adam, β₁ = 0.5, batch 64, z ~ N(0, 1)), with a dense layer
# of 1024 in each network and G's rate five times D's 2e-4, as InfoGAN's MNIST networks (Chen et
# al., 2016): together, not apart, they make it train in a few epochs (docs/convolutional.md).
PRESETS["dcgan"] = replace(
    PRESETS["default"], architecture="dcgan", dense_units=1024, optimizer="adam", lr=2e-4, G_lr_scale=5.0,
    lr_decay=1.0, batch_size=64, D_loss_weight=1.0, noise_prior="gaussian", D_keep_input=1.0, D_keep_hidden=1.0)


def preset_name(config):
    """The preset that ``config`` is, whatever its seed ("paper"), or the nearest one and what
    differs from it ("paper with update=simultaneous")."""
    changes = {name: [f"{field}={value}" for field, value in asdict(config).items()
                      if field != "seed" and getattr(preset, field) != value] for name, preset in PRESETS.items()}
    nearest = min(changes, key=lambda name: len(changes[name]))
    return f"{nearest} with {', '.join(changes[nearest])}" if changes[nearest] else nearest
