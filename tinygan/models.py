"""The GANs a configuration (``presets.Config``) describes, built: the paper's networks and the
DCGAN's, their optimisers and objective, checked against the machine's memory and the images'
shape before anything is allocated (``build_gan``)."""
import os
from typing import NamedTuple

import numpy as np

from . import backend
from .conv import Conv2D, ConvTranspose2D, ImageAndLabels, Reshape
from .gan import GAN
from .layers import BatchNorm, Dropout, LeakyReLU, Linear, Maxout, ReLU, Sigmoid, normal, sigmoid_bias_from_means, uniform
from .losses import GANObjective, WassersteinObjective
from .network import Sequential
from .optim import Adam, MomentumSGD, RMSProp

OBJECTIVES = {"gan": lambda config: GANObjective(config.generator_loss, config.D_loss_weight),   # Config.objective
              "wasserstein": lambda config: WassersteinObjective(config.clip)}
OPTIMIZERS = {"momentum": lambda network, config: MomentumSGD(network, config.lr, config.momentum_start),
              "rmsprop": lambda network, config: RMSProp(network, config.lr),
              "adam": lambda network, config: Adam(network, config.lr)}


def paper_generator(config, pixel_means, rng):
    """G: z (m, 100) [⊕ onehot(y)] -> x (m, n_pixels) in (0, 1); output bias = logit of the pixel means."""
    init, hidden, n_pixels = uniform(config.G_irange), config.G_hidden, pixel_means.size
    generator = Sequential(Linear(config.noise_dim + config.n_classes, hidden, init, rng), ReLU(),
                           Linear(hidden, hidden, init, rng), ReLU(),
                           Linear(hidden, n_pixels, init, rng), Sigmoid())
    generator.layers[-2].params["b"] = sigmoid_bias_from_means(pixel_means.reshape(-1)).astype(np.float32)
    return generator


def paper_discriminator(config, image_shape, rng):
    """D: x (m, n_pixels) [⊕ onehot(y)] -> logits (m, 1), with dropout on every layer's input
    but the label's: a conditional D always sees which digit a row claims to be."""
    init, units, pieces, n_pixels = uniform(config.D_irange), config.D_units, config.D_pieces, int(np.prod(image_shape))
    return Sequential(Dropout(config.D_keep_input, columns=n_pixels), Maxout(n_pixels + config.n_classes, units, pieces, init, rng),
                      Dropout(config.D_keep_hidden), Maxout(units, units, pieces, init, rng),
                      Dropout(config.D_keep_hidden), Linear(units, 1, init, rng))


def paper_sizes(config, image_shape):
    """(parameters, activations per example) of the paper's two networks: for ``estimated_bytes``."""
    n_pixels = int(np.prod(image_shape))
    G_widths = [config.noise_dim + config.n_classes, config.G_hidden, config.G_hidden, n_pixels]
    D_columns = config.D_units * config.D_pieces
    parameters = sum((a + 1) * b for a, b in zip(G_widths, G_widths[1:])) \
        + (n_pixels + config.n_classes + 1) * D_columns + (config.D_units + 1) * D_columns + config.D_units + 1
    return parameters, sum(G_widths) + n_pixels + 2 * D_columns + 2 * config.D_units


def dcgan_generator(config, pixel_means, rng):
    """G: z (m, 100) [⊕ onehot(y)] [-> dense dense_units -> BN -> ReLU] -> dense (H/4)·(W/4)·G_channels
    -> BN -> ReLU -> ConvT to G_channels/2 at H/2 × W/2 -> BN -> ReLU -> ConvT to C at H × W -> sigmoid
    -> x (m, H·W·C) rows; every transposed convolution 4×4, stride 2, padding 1 (it doubles the
    size). The last bias is the logit of each channel's mean pixel, as the paper's G starts."""
    (h, w, c), ch, init = pixel_means.shape, config.G_channels, normal(config.init_std)
    n_in, units = config.noise_dim + config.n_classes, config.dense_units
    dense = [Linear(n_in, units, init, rng), BatchNorm(units), ReLU()] if units else []
    generator = Sequential(*dense, Linear(units or n_in, (h // 4) * (w // 4) * ch, init, rng),
                           Reshape(h // 4, w // 4, ch), BatchNorm(ch), ReLU(),
                           ConvTranspose2D(ch, ch // 2, 4, 2, 1, init, rng), BatchNorm(ch // 2), ReLU(),
                           ConvTranspose2D(ch // 2, c, 4, 2, 1, init, rng), Sigmoid(), Reshape(h * w * c))
    generator.layers[-3].params["b"] = sigmoid_bias_from_means(pixel_means.reshape(-1, c).mean(axis=0)).astype(np.float32)
    return generator


def dcgan_discriminator(config, image_shape, rng):
    """D: x (m, H·W·C) rows [⊕ onehot(y)] -> the image (with a constant plane per class) -> Conv
    D_channels -> LeakyReLU -> Conv 2·D_channels -> BN -> LeakyReLU [-> dense dense_units -> BN ->
    LeakyReLU] -> dense 1 (a logit); every convolution 4×4, stride 2, padding 1 (it halves the
    size). D judges m real rows and m fakes in one pass (``GAN.judge``), so its BatchNorms
    normalise each block of m = batch_size rows by its own statistics."""
    (h, w, c), ch, init = image_shape, config.D_channels, normal(config.init_std)
    flat, units, m = (h // 4) * (w // 4) * 2 * ch, config.dense_units, config.batch_size
    dense = [Linear(flat, units, init, rng), BatchNorm(units, group_size=m), LeakyReLU(config.leak)] if units else []
    return Sequential(ImageAndLabels(image_shape, config.n_classes),
                      Conv2D(c + config.n_classes, ch, 4, 2, 1, init, rng), LeakyReLU(config.leak),
                      Conv2D(ch, 2 * ch, 4, 2, 1, init, rng), BatchNorm(2 * ch, group_size=m), LeakyReLU(config.leak),
                      Reshape(flat), *dense, Linear(units or flat, 1, init, rng))


def dcgan_sizes(config, image_shape):
    """(parameters, activations per example, im2col's patch rows included) of the DCGAN's networks."""
    (h, w, c), g, d, k, u = image_shape, config.G_channels, config.D_channels, config.n_classes, config.dense_units
    quarter, half, whole, n_in = (h // 4) * (w // 4), (h // 2) * (w // 2), h * w, config.noise_dim + k

    def dense(n, units):                          # weights and biases (BatchNorm: γ and β); 0 for no units
        return (n + 1) * units

    def conv(c_in, c_out):                        # a 4×4 kernel
        return (16 * c_in + 1) * c_out
    G = dense(n_in, u) + 2 * u + dense(u or n_in, g * quarter) + 2 * g + conv(g, g // 2) + g + conv(g // 2, c)
    D = conv(c + k, d) + conv(d, 2 * d) + 4 * d + dense(2 * d * quarter, u) + 2 * u + dense(u or 2 * d * quarter, 1)
    G_activations = 3 * u + 3 * g * quarter + 3 * (g // 2) * half + 2 * c * whole + g * quarter * (g // 2) * 16 // g
    D_activations = (c + k) * whole + 2 * d * half + (c + k) * 16 * half + 4 * 2 * d * quarter + d * 16 * quarter + 3 * u
    return G + D, G_activations + D_activations


class Architecture(NamedTuple):
    generator: object        # (config, pixel_means (H, W, C), rng) -> G
    discriminator: object    # (config, image_shape, rng) -> D
    sizes: object            # (config, image_shape) -> (parameters, activations per example)
    widths: str              # the Config fields that size it


ARCHITECTURES = {   # Config.architecture
    "mlp": Architecture(paper_generator, paper_discriminator, paper_sizes, "G_hidden, D_units, D_pieces"),
    "dcgan": Architecture(dcgan_generator, dcgan_discriminator, dcgan_sizes, "G_channels, D_channels, dense_units"),
}


def pixel_means_of(train_images, image_shape):
    """(H, W, C) float64 host array: the mean of each pixel of (N, H·W·C) uint8 images, in [0, 1]."""
    return backend.to_host(train_images.mean(axis=0, dtype=np.float64)).reshape(image_shape) / 255


class TooLarge(ValueError):
    """A configuration whose networks would not fit in this machine's memory; the message gives
    the estimate."""


def estimated_bytes(config, image_shape):
    """A lower bound on the memory a run of ``config`` on images of ``image_shape`` (H, W, C) needs:
    each weight's float64 draw at initialisation, its float32 value, gradient and optimiser state,
    and a minibatch's activations (D sees 2m rows), kept for the backward pass with their gradients."""
    parameters, activations = ARCHITECTURES[config.architecture].sizes(config, image_shape)
    state = {"momentum": 1, "rmsprop": 1, "adam": 2}[config.optimizer]
    return parameters * (8 + 4 * (2 + state)) + 2 * config.batch_size * activations * 4 * 4


def available_bytes():
    """Memory this machine can still give (MemAvailable on Linux, free pages elsewhere)."""
    try:
        with open("/proc/meminfo") as meminfo:
            return next(int(line.split()[1]) * 1024 for line in meminfo if line.startswith("MemAvailable:"))
    except (OSError, StopIteration, ValueError):
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def build_gan(config, pixel_means, device="numpy"):
    """The GAN that ``config`` describes for images with these ``pixel_means`` ((H, W, C) in
    [0, 1], see ``pixel_means_of``): weights drawn on the host from config.seed and moved to
    ``device``; noise and dropout masks drawn on the device from config.seed + 1. Raises TooLarge,
    before allocating anything, for networks that would not fit in memory, and ValueError for
    images the architecture cannot take."""
    architecture = ARCHITECTURES[config.architecture]
    check_image_shape(config, pixel_means.shape)
    needed, free = estimated_bytes(config, pixel_means.shape), available_bytes()
    if needed > free:
        raise TooLarge(f"this configuration needs at least {needed / 1e9:,.1f} GB, and this machine has "
                       f"{free / 1e9:,.1f} GB free: lower {architecture.widths} or batch_size")
    init_rng = np.random.default_rng(config.seed)
    generator = architecture.generator(config, pixel_means, init_rng).to(device)
    discriminator = architecture.discriminator(config, pixel_means.shape, init_rng).to(device)
    make_optimizer = OPTIMIZERS[config.optimizer]
    return GAN(generator, discriminator, make_optimizer(generator, config), make_optimizer(discriminator, config),
               config.noise_dim, backend.default_rng(config.seed + 1, device),
               noise_range=config.noise_range, noise_prior=config.noise_prior, k=config.k, update=config.update,
               G_noise=config.G_noise, objective=objective_of(config), n_classes=config.n_classes,
               image_shape=pixel_means.shape)


def check_image_shape(config, image_shape):
    """ValueError unless an (H, W, C) image suits the architecture: the DCGAN halves H and W twice."""
    if config.architecture == "dcgan" and (len(image_shape) != 3 or min(image_shape[:2]) < 8
                                            or image_shape[0] % 4 or image_shape[1] % 4):
        raise ValueError(f"the dcgan architecture needs images whose height and width are multiples of 4 "
                         f"and at least 8 (it halves them twice), got {'×'.join(map(str, image_shape))}")


def objective_of(config):
    """The objective value that the configuration's names describe."""
    return OBJECTIVES[config.objective](config)
