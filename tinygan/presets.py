"""The paper's MNIST GAN, number for number from its released code (goodfeli/adversarial,
mnist.yaml): the networks, their initialisation, and the optimiser schedules."""
from dataclasses import asdict, dataclass

import numpy as np

from . import backend, checkpoint
from .gan import GAN
from .layers import Dropout, Linear, Maxout, ReLU, Sigmoid, Tanh, sigmoid_bias_from_means, uniform
from .network import Sequential
from .optim import MomentumSGD, exponential_decay, linear_ramp


@dataclass(frozen=True)
class PaperConfig:
    """Every number of mnist.yaml. Epoch counts are completed epochs."""
    noise_dim: int = 100
    noise_range: float = float(np.sqrt(3))   # z ~ U(−√3, √3)^100, unit variance
    g_hidden: int = 1200                     # G: ReLU 1200 → ReLU 1200 → Sigmoid 784
    g_irange: float = 0.05
    d_units: int = 240                       # D: Maxout 240×5 → Maxout 240×5 → Sigmoid 1
    d_pieces: int = 5
    d_irange: float = 0.005
    d_keep_input: float = 0.8                # dropout keep probability on D's pixels
    d_keep_hidden: float = 0.5               # ... and on D's hidden units
    batch_size: int = 100
    lr: float = 0.1
    lr_decay: float = 1.000004               # lr ÷ 1.000004 after every update
    min_lr: float = 1e-6
    momentum_start: float = 0.5              # 0.5 → 0.7, linearly over epochs 1–250
    momentum_end: float = 0.7
    momentum_start_epoch: int = 1
    momentum_end_epoch: int = 250

    def to_dict(self):
        return asdict(self)


def paper_generator(config, n_pixels, output_bias, rng):
    """G: z (m, 100) -> x (m, n_pixels) in (0, 1); output bias = logit of the pixel means."""
    init = uniform(config.g_irange)
    hidden = config.g_hidden
    generator = Sequential(Linear(config.noise_dim, hidden, init, rng), ReLU(),
                           Linear(hidden, hidden, init, rng), ReLU(),
                           Linear(hidden, n_pixels, init, rng), Sigmoid())
    generator.layers[-2].params["b"] = output_bias.astype(np.float32)
    return generator


def paper_discriminator(config, n_pixels, rng):
    """D: x (m, n_pixels) -> logits (m, 1), with dropout on every layer's input."""
    init, units, pieces = uniform(config.d_irange), config.d_units, config.d_pieces
    return Sequential(Dropout(config.d_keep_input), Maxout(n_pixels, units, pieces, init, rng),
                      Dropout(config.d_keep_hidden), Maxout(units, units, pieces, init, rng),
                      Dropout(config.d_keep_hidden), Linear(units, 1, init, rng))


def paper_gan(train_images, seed, device="numpy", config=PaperConfig(), **gan_options):
    """The paper's GAN for ``train_images`` ((N, D) uint8), initialised from ``seed`` on the host
    and moved to ``device``. gan_options: k, generator_loss, update (see ``GAN``)."""
    init_rng = np.random.default_rng(seed)
    n_pixels = train_images.shape[1]
    pixel_means = backend.to_host(train_images.mean(axis=0, dtype=np.float64)) / 255  # uint8 in
    output_bias = sigmoid_bias_from_means(pixel_means)
    generator = paper_generator(config, n_pixels, output_bias, init_rng).to(device)
    discriminator = paper_discriminator(config, n_pixels, init_rng).to(device)
    return GAN(generator, discriminator,
               MomentumSGD(generator, config.lr, config.momentum_start),
               MomentumSGD(discriminator, config.lr, config.momentum_start),
               config.noise_dim, backend.default_rng(seed + 1, device),
               noise_range=config.noise_range, **gan_options)


def apply_paper_schedule(gan, config, iteration, epoch):
    """Sets both optimisers' lr for ``iteration`` updates done and momentum for ``epoch``
    epochs done. One update = one iteration of Algorithm 1 (one SGD step in the paper's code)."""
    lr = exponential_decay(config.lr, config.lr_decay, config.min_lr, iteration)
    momentum = linear_ramp(config.momentum_start, config.momentum_end,
                           config.momentum_start_epoch, config.momentum_end_epoch, epoch)
    for optimizer in (gan.g_optimizer, gan.d_optimizer):
        optimizer.lr, optimizer.momentum = lr, momentum
    return lr, momentum


def small_gan(data_dim, noise_dim=1, hidden=32, seed=0, lr=0.05, momentum=0.5, noise_range=np.sqrt(3),
              dtype=np.float32, **gan_options):
    """A small fully connected GAN for low-dimensional toys (the paper's Figure 1, the tests):
    G: Linear → ReLU → Linear → ReLU → Linear; D: Linear → Tanh → Linear → Tanh → Linear (logits).
    On the host; gan_options: k, generator_loss, update."""
    rng = np.random.default_rng(seed)
    generator = Sequential(Linear(noise_dim, hidden, rng=rng, dtype=dtype), ReLU(),
                           Linear(hidden, hidden, rng=rng, dtype=dtype), ReLU(),
                           Linear(hidden, data_dim, rng=rng, dtype=dtype))
    discriminator = Sequential(Linear(data_dim, hidden, rng=rng, dtype=dtype), Tanh(),
                               Linear(hidden, hidden, rng=rng, dtype=dtype), Tanh(),
                               Linear(hidden, 1, rng=rng, dtype=dtype))
    return GAN(generator, discriminator, MomentumSGD(generator, lr, momentum),
               MomentumSGD(discriminator, lr, momentum), noise_dim, np.random.default_rng(seed + 1),
               noise_range=noise_range, **gan_options)


def load_paper_gan(path, train_images, device="numpy"):
    """(gan, meta) from a checkpoint of the paper's preset written by examples/mnist_gan.py.
    Raises CheckpointError for an unreadable file and ValueError, naming the file, when its
    arrays do not fit the configuration it records."""
    arrays, meta = checkpoint.load(path)
    gan = paper_gan(train_images, 0, device, PaperConfig(**meta["config"]))
    try:
        gan.load_state_dict(arrays)
    except ValueError as error:
        raise checkpoint.CheckpointError(f"{path}: {error}") from None
    return gan, meta
