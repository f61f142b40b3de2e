"""Train a conditional GAN (Mirza & Osindero, 2014) on MNIST: ask G for a digit, get that digit.

    python examples/mnist_cgan.py --epochs 30           # writes runs/cgan/

G's input is z ⊕ onehot(y) and D's is x ⊕ onehot(y); everything else is the default preset
(``tinygan.presets.PRESETS["cgan"]``). It writes what examples/mnist_gan.py writes — each
epoch's grid has one row per digit, 0 at the top — and at the end per_digit.json: for each digit
L, the share of 1,000 samples asked for L that tinygan's MNIST classifier reads as L.
`python examples/sample.py runs/cgan/checkpoint.npz -n 16 --label 3 -o threes.npy` draws more.
"""
import json
import os

import numpy as np

from tinygan import backend, classifier, cli, files, runs
from tinygan.optim import apply_paper_schedule

N_PER_DIGIT = 1000


def per_digit_accuracy(gan, model, n_classes, device, seed=0):
    """{digit: share of N_PER_DIGIT samples asked for it that the classifier reads as it}."""
    gan.set_rng(backend.default_rng(seed, device))
    shares = {}
    for digit in range(n_classes):
        labels = backend.to_device(np.full(N_PER_DIGIT, digit), device)
        predicted = model.predict(gan.generate(gan.sample_noise(N_PER_DIGIT), labels, train=False))
        shares[digit] = float(backend.to_host((predicted == labels).mean()))
    return shares


def main(argv=None):
    """Trains as the command line says (examples/mnist_gan.py's flags); returns the finished run."""
    cli.sturdy_output()
    args = runs.parse_args(__doc__, argv, preset="cgan", out=os.path.join("runs", "cgan"))
    run = runs.prepare(args, needs=("mnist_cgan.py trains a conditional GAN (n_classes > 0, --preset cgan)",
                                    lambda config: config.n_classes > 0))
    with run.owned() as stop:
        while run.iteration < run.last_iteration and not stop.requested:        # Algorithm 1, line 1
            minibatches = run.minibatches()          # (x, y): each image with its digit
            while run.iteration < run.epoch_end() and not stop.requested:
                lr, momentum = apply_paper_schedule(run.gan, run.config, run.iteration, run.epoch)
                run.record(run.iterate(minibatches), stop)   # D judges x ⊕ onehot(y); G draws for random y
            run.end_epoch(lr, momentum, stop)                # the grid: one row per digit
        run.finish()
    if not run.quality:
        print("note: no per-digit table: tinygan's classifier reads MNIST digits only")
        return run
    device = run.provenance["device"]
    shares = per_digit_accuracy(run.gan, classifier.load(device=device)[0], run.config.n_classes, device)
    print("digit asked for:        " + " ".join(f"{d:>5}" for d in shares))
    print("read as that digit (%): " + " ".join(f"{100 * s:5.1f}" for s in shares.values())
          + f"   mean {100 * np.mean(list(shares.values())):.1f}")
    path = os.path.join(run.out, "per_digit.json")
    with files.atomic_write(path, "w") as f:
        json.dump({"epoch": run.epoch, "samples_per_digit": N_PER_DIGIT, "read_as_asked": shares}, f, indent=2)
    print(f"wrote {path}")
    return run


if __name__ == "__main__":
    main()
