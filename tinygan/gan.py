"""Algorithm 1 of Goodfellow et al. (2014), "Generative Adversarial Nets":

    1  for number of training iterations do
    2      for k steps do
    3          sample minibatch of m noise samples {z⁽¹⁾ … z⁽ᵐ⁾} from the noise prior p_g(z)
    4          sample minibatch of m examples {x⁽¹⁾ … x⁽ᵐ⁾} from p_data(x)
    5          update D by ascending  ∇_θd (1/m) Σᵢ [log D(x⁽ⁱ⁾) + log(1 − D(G(z⁽ⁱ⁾)))]
    6      end for
    7      sample minibatch of m noise samples {z⁽¹⁾ … z⁽ᵐ⁾} from the noise prior p_g(z)
    8      update G by descending ∇_θg (1/m) Σᵢ log(1 − D(G(z⁽ⁱ⁾)))
    9  end for

D here outputs logits a (D(x) = σ(a)); the sigmoid lives inside the losses. G's cost is the
minimax one above or, by default, the paper's non-saturating −log D(G(z)) (§3).

Two extensions use the same loop. A Wasserstein GAN (Arjovsky et al., 2017) makes D a critic f:
its cost is mean f(G(z)) − mean f(x), its weights are clipped to [−c, c] after every step, and
G descends −mean f(G(z)). A conditional GAN (Mirza & Osindero, 2014) gives G and D a one-hot
label beside z and beside x: G learns p(x | y).
"""
import numpy as np

from . import backend
from .losses import GANObjective

UPDATES = ("alternating", "simultaneous")
NOISE_FOR_G = ("fresh", "shared")   # G's step: a fresh z (Algorithm 1, line 7) or the D step's z
NOISE_PRIORS = ("uniform", "gaussian")


class OptionError(ValueError):
    """An option out of range: ``name`` is the option, ``expected`` what it must be."""

    def __init__(self, name, expected):
        super().__init__(f"{name}: expected {expected}")
        self.name, self.expected = name, expected


def check_options(k, update, G_noise, noise_prior):
    """Algorithm 1's options, checked here for the GAN and for ``presets.Config`` alike; raises
    OptionError naming the first one out of range."""
    for name, value, allowed in (("update", update, UPDATES), ("G_noise", G_noise, NOISE_FOR_G),
                                 ("noise_prior", noise_prior, NOISE_PRIORS)):
        if value not in allowed:
            raise OptionError(name, f"one of {allowed}")
    if not k >= 1:
        raise OptionError("k", "a whole number ≥ 1")
    if update == "simultaneous" and k != 1:
        raise OptionError("k", "1 with simultaneous updates")


def draw_noise(rng, m, noise_dim, noise_range, prior="uniform", dtype=np.float32):
    """z from the noise prior p_z: (m, noise_dim) in ``dtype``, drawn by ``rng`` (a NumPy or CuPy
    generator, so on its device). "uniform": z ~ U(−r, r)^noise_dim; "gaussian": the normal of
    the same variance, N(0, r²/3)^noise_dim. With r = √3 both have unit variance; the released
    code's Generator draws N(0, 1) unless told otherwise."""
    if prior == "gaussian":
        return rng.standard_normal((m, noise_dim), dtype=dtype) * np.dtype(dtype).type(noise_range / np.sqrt(3))
    return (2 * rng.random((m, noise_dim), dtype=dtype) - 1) * np.dtype(dtype).type(noise_range)


class GAN:
    """A generator, a discriminator, their optimisers, and Algorithm 1.

    generator: Sequential mapping z (m, noise_dim) -> x (m, n_pixels); discriminator: Sequential
    mapping x (m, n_pixels) -> logits (m, 1); both float32 and on the device of ``rng``, which draws
    the noise and every dropout mask. The noise prior is U(−noise_range, noise_range)^noise_dim
    (unit variance at √3) or, with noise_prior="gaussian", the normal of the same variance. With
    n_classes > 0 the GAN is conditional: G's input is z ⊕ onehot(y) (noise_dim + n_classes
    columns), D's is x ⊕ onehot(y), and the real minibatches come as (x, y) pairs; fake labels
    are drawn uniformly. image_shape: (H, W, C) of the images that G's rows hold (for pictures
    and checkpoints; (n_pixels,) if not given).
    """

    def __init__(self, generator, discriminator, G_optimizer, D_optimizer, noise_dim, rng,
                 noise_range=np.sqrt(3), noise_prior="uniform", k=1, update="alternating", G_noise="fresh",
                 objective=None, n_classes=0, image_shape=None):
        check_options(k, update, G_noise, noise_prior)
        self.G, self.D = generator, discriminator
        self.G_optimizer, self.D_optimizer = G_optimizer, D_optimizer
        self.noise_dim, self.noise_range, self.noise_prior = noise_dim, noise_range, noise_prior
        self.k, self.update, self.n_classes = k, update, n_classes
        self.objective = objective or GANObjective()                # D's and G's costs (losses.py)
        self.G_noise = G_noise                                      # G's step may reuse D's z
        self.dtype, self.n_pixels = generator.dtype, generator.out_features   # float32 (float64 in the tests)
        self.image_shape = tuple(image_shape or (self.n_pixels,))         # (H, W, C) of a row, where known
        self.set_rng(rng)

    def set_rng(self, rng):
        """Uses ``rng`` for the noise and every dropout mask from now on."""
        self.rng = rng
        self.G.set_rng(rng)
        self.D.set_rng(rng)

    def sample_noise(self, m):
        """z ~ p_z: (m, noise_dim), drawn on the device in the networks' dtype (see ``draw_noise``)."""
        return draw_noise(self.rng, m, self.noise_dim, self.noise_range, self.noise_prior, self.dtype)

    def sample_labels(self, m):
        """(m,) labels drawn uniformly from the n_classes (None for an unconditional GAN)."""
        if not self.n_classes:
            return None
        return (self.rng.random(m, dtype=np.float32) * self.n_classes).astype(np.int64)

    def with_labels(self, rows, labels):
        """rows ⊕ onehot(labels): (m, d) -> (m, d + n_classes); the rows alone when unconditional."""
        if labels is None:
            return rows
        xp = backend.array_module(rows)
        return xp.concatenate([rows, xp.eye(self.n_classes, dtype=rows.dtype)[labels]], axis=1)

    def generate(self, z, labels=None, train=True):
        """G(z), or G(z ⊕ onehot(labels)) for a conditional GAN: (m, n_pixels)."""
        return self.G.forward(self.with_labels(z, labels), train)

    def sample(self, m, train=False):
        """m samples G(z), z ~ p_z, in evaluation mode: (m, n_pixels). A conditional GAN's labels
        are drawn uniformly, so the samples follow G's marginal over the classes."""
        return self.generate(*self.draw(m), train)

    def draw(self, m):
        """What G takes for m samples (Algorithm 1, lines 3 and 7): (z, labels), z ~ p_z and, for a
        conditional GAN, labels drawn uniformly (None otherwise)."""
        return self.sample_noise(m), self.sample_labels(m)

    def judge(self, x, labels, noise):
        """D's outputs, as logits, on the m real rows x and then the m fakes G(noise): one forward of
        2m rows, so one set of dropout masks serves both halves. Returns (2m, 1)."""
        x_fake = self.generate(*noise)
        xp = backend.array_module(x)
        return self.D.forward(xp.concatenate([self.with_labels(x, labels), self.with_labels(x_fake, noise[1])]))

    def discriminator_step(self, x, labels=None, noise=None):
        """One D update (Algorithm 1, lines 3-5) on the real minibatch x: (m, n_pixels) float32,
        against G(noise), noise = (z, labels) of m fakes (drawn here if None).

        Real and fake rows go through D as one batch of 2m, so one forward and one backward
        serve both halves. D's cost is the objective's. Returns (D's cost, mean D(x),
        mean D(G(z))) as 0-d device arrays.
        """
        logits = self.judge(x, labels, noise or self.draw(len(x)))    # lines 3-4: z, and x from the data
        disc_loss, d_logits = self.objective.disc_cost(logits)
        self.D.backward(d_logits)                                   # line 5: ascend V = descend BCE
        self.D_optimizer.step()
        self.objective.after_step(self.D)
        return (disc_loss, *self.means(logits))

    def generator_step(self, m, noise=None):
        """One G update (Algorithm 1, lines 7-8) on m fakes G(noise), noise = (z, labels) (a fresh
        draw if None).

        The gradient flows through D to its input only: D's parameters, gradients and optimiser state
        are left exactly as they were. Returns G's loss as a 0-d device array.
        """
        z, labels = noise or self.draw(m)                           # line 7: m noise samples
        logits = self.D.forward(self.with_labels(self.generate(z, labels), labels))
        gen_loss, d_logits = self.objective.generator_loss(logits)  # line 8: descend G's cost
        self.G.backward(self.D.backward_input(d_logits)[:, :self.n_pixels])
        self.G_optimizer.step()
        return gen_loss

    def simultaneous_step(self, x, labels=None):
        """What the paper's released code did: one minibatch, one z, one D forward (so one set of
        dropout masks); D's and G's gradients from that pass, both applied in one step.
        Returns (D loss, G loss, mean D(x), mean D(G(z))) as 0-d device arrays."""
        xp, m = backend.array_module(x), len(x)
        logits = self.judge(x, labels, self.draw(m))
        disc_loss, d_logits = self.objective.disc_cost(logits)
        gen_loss, d_fake_logits = self.objective.generator_loss(logits[m:])
        d_logits_for_g = xp.concatenate([xp.zeros_like(d_fake_logits), d_fake_logits])
        self.G.backward(self.D.backward_input(d_logits_for_g)[m:, :self.n_pixels])  # G's gradient ...
        self.D.backward(d_logits)                                   # ... and D's, from one pass
        self.D_optimizer.step()
        self.G_optimizer.step()
        self.objective.after_step(self.D)
        return (disc_loss, gen_loss, *self.means(logits))

    def train_iteration(self, batches):
        """One iteration of Algorithm 1's outer loop, drawing k real minibatches from the
        iterator ``batches``. Returns a (4,) device array: the last D loss, G's loss, mean D(x)
        and mean D(G(z)); reading it is the caller's only host synchronisation."""
        if self.update == "simultaneous":                          # line 1, as the released code
            stats = self.simultaneous_step(*self._real(batches))
        else:
            for _ in range(self.k):                                 # line 2: for k steps
                x, labels = self._real(batches)
                noise = self.draw(len(x))                           # line 3
                disc_loss, mean_D_x, mean_D_G_z = self.discriminator_step(x, labels, noise)
            fresh = self.G_noise == "fresh"                         # line 7 (or the last D step's z)
            gen_loss = self.generator_step(len(x), self.draw(len(x)) if fresh else noise)
            stats = (disc_loss, gen_loss, mean_D_x, mean_D_G_z)
        return backend.array_module(stats[0]).stack(stats)

    def means(self, logits):
        """(mean D(x), mean D(G(z))) of the (2m, 1) logits of m real rows then m fakes."""
        outputs, m = self.objective.outputs(logits), len(logits) // 2
        return outputs[:m].mean(), outputs[m:].mean()

    def _real(self, batches):
        """The next real minibatch as (x, labels): labels None for an unconditional GAN."""
        batch = next(batches)
        return batch if self.n_classes else (batch, None)

    def state_dict(self):
        """Every array needed to resume: both networks and both optimisers, host arrays."""
        parts = {"G": self.G.state_dict(), "D": self.D.state_dict(),
                 "G_optimizer": self.G_optimizer.state_dict(),
                 "D_optimizer": self.D_optimizer.state_dict()}
        return {f"{part}/{name}": np.asarray(value)
                for part, state in parts.items() for name, value in state.items()}

    def load_state_dict(self, state):
        """Restores ``state_dict()`` output; ValueError names any part that does not fit."""
        def part(prefix):
            return {name[len(prefix) + 1:]: value for name, value in state.items()
                    if name.startswith(prefix + "/")}
        self.G.load_state_dict(part("G"), what="the checkpoint's generator")
        self.D.load_state_dict(part("D"), what="the checkpoint's discriminator")
        self.G_optimizer.load_state_dict(part("G_optimizer"))
        self.D_optimizer.load_state_dict(part("D_optimizer"))
