"""Look inside a GAN checkpoint: is G's output saturated, how sure is D, and how large is the
gradient that reaches each of G's layers? (Where a collapse starts.)

    python examples/diagnose.py runs/mnist/checkpoint_epoch_00*.npz

For each checkpoint, on 1,000 training images and 1,000 samples of fixed noise, it prints:
  saturated   share of G's output pixels within 1e-4 of 0 or 1 (the sigmoid's flat ends)
  |pre|       median |pre-activation| of G's output sigmoid
  spread      mean over pixels of the standard deviation across samples (0: one image for all z)
  D logit     mean logit of D on real images and on samples (D(x) = σ(logit))
  ‖dG‖        the norm of G's cost gradient for each of G's weight matrices, input to output
"""
import numpy as np

from tinygan import checkpoint, cli, data
from tinygan.gan import draw_noise

N = 1000


def diagnose(gan, real):
    """The numbers above for a GAN (eval mode, no update) and real images (N, n_pixels) float32."""
    z = draw_noise(np.random.default_rng(0), N, gan.noise_dim, gan.noise_range, gan.noise_prior)
    pre_activation = z
    for layer in gan.G.layers[:-1]:                           # all of G but its output sigmoid
        pre_activation = layer.forward(pre_activation, train=False)
    fake = gan.G.forward(z)
    logits = gan.D.forward(np.concatenate([real, fake]), train=False)
    _, d_logits = gan.objective.generator_loss(gan.D.forward(fake, train=True))
    gan.G.backward(gan.D.backward_input(d_logits))
    return {"saturated": float(((fake < 1e-4) | (fake > 1 - 1e-4)).mean()),
            "|pre|": float(np.median(np.abs(pre_activation))),
            "spread": float(fake.std(axis=0).mean()),
            "D logit real": float(logits[:N].mean()), "D logit fake": float(logits[N:].mean()),
            "‖dG‖": [float(np.linalg.norm(grad)) for name, _, grad in gan.G.parameters() if name.endswith(".W")]}


def main(argv=None):
    parser = cli.ArgumentParser(__doc__)
    parser.add_argument("checkpoints", nargs="+")
    args = parser.parse_args(argv)
    real = data.to_unit_float(data.load_mnist()["train"][0][:N])
    for path in args.checkpoints:
        try:
            gan, config, meta = checkpoint.load_gan(path)
        except checkpoint.CheckpointError as error:
            cli.fail(str(error))
        if config.n_classes:
            cli.fail(f"{path}: a conditional GAN ({config.n_classes} classes); diagnose.py reads unconditional ones")
        found = diagnose(gan, real)
        print(f"{path} (epoch {meta['epoch']}): saturated {found['saturated']:.3f} | |pre| {found['|pre|']:.2f} | "
              f"spread {found['spread']:.4f} | D logit real {found['D logit real']:+.2f}, fake {found['D logit fake']:+.2f} | "
              "‖dG‖ " + " ".join(f"{g:.2e}" for g in found["‖dG‖"]))


if __name__ == "__main__":
    main()
