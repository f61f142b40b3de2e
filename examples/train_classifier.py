"""Train the MNIST classifier that tinygan uses to judge generated digits.

    python examples/train_classifier.py          # ~3 minutes on a 2-core CPU

A 784 → 512 → 256 → 10 ReLU network with dropout (tinygan.classifier), trained with momentum SGD
on the softmax cross-entropy of train[0:50000]. After every epoch it is scored on the validation
images train[50000:60000]; the epoch with the best validation accuracy is kept, and only that
one is scored on the test set, once. Writes pretrained/mnist_classifier.npz (or --out) with its
accuracies and settings in the file's metadata.
"""
import time

import numpy as np

from tinygan import backend, classifier, cli, data
from tinygan.losses import softmax_cross_entropy
from tinygan.optim import MomentumSGD


def accuracy(model, images, labels, batch=2000):
    """Share of rows of ``images`` (uint8) whose predicted class is ``labels``."""
    correct = sum(int((model.predict(data.to_unit_float(images[i:i + batch])) == labels[i:i + batch]).sum())
                  for i in range(0, len(images), batch))
    return correct / len(images)


def train(splits, epochs, lr, momentum, lr_decay, batch_size, seed, device):
    """Returns (best network by validation accuracy, its epoch, [validation accuracy per epoch])."""
    network = classifier.mnist_classifier(seed).to(device)
    network.set_rng(backend.default_rng(seed + 1, device))
    optimizer = MomentumSGD(network, lr, momentum)
    images, labels = (backend.to_device(a, device) for a in splits["train"])
    batches = data.Minibatches(images, batch_size, seed, labels=labels.astype(np.int64))
    model, best, history = classifier.Classifier(network), (-1.0, None, 0), []
    for epoch in range(epochs):
        start = time.perf_counter()
        optimizer.lr = lr * lr_decay ** epoch
        for x, y in batches.epoch(epoch):
            _, d_logits = softmax_cross_entropy(network.forward(x), y)
            network.backward(d_logits)
            optimizer.step()
        valid = accuracy(model, *(backend.to_device(a, device) for a in splits["valid"]))
        history.append(valid)
        print(f"epoch {epoch + 1}: validation accuracy {valid:.4f} ({time.perf_counter() - start:.1f} s)", flush=True)
        if valid > best[0]:
            best = (valid, network.state_dict(), epoch + 1)
    network.load_state_dict(best[1])
    return network, best[2], history


def main(argv=None):
    parser = cli.ArgumentParser(__doc__)
    parser.add_argument("--epochs", type=cli.positive_int, default=30)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--lr-decay", type=float, default=0.9, help="lr × this after every epoch")
    parser.add_argument("--batch-size", type=cli.positive_int, default=100)
    parser.add_argument("--seed", type=cli.seed, default=0)
    parser.add_argument("--device", choices=backend.DEVICES, default="numpy")
    parser.add_argument("--data", default=data.SHIPPED_MNIST)
    parser.add_argument("--out", type=cli.output_file, default=classifier.PRETRAINED)
    args = parser.parse_args(argv)
    splits = data.load_mnist(args.data)
    network, epoch, history = train(splits, args.epochs, args.lr, args.momentum, args.lr_decay,
                                    args.batch_size, args.seed, args.device)
    test = accuracy(classifier.Classifier(network), *(backend.to_device(a, args.device) for a in splits["test"]))
    print(f"kept epoch {epoch} (validation accuracy {history[epoch - 1]:.4f}); test accuracy {test:.4f}")
    classifier.save(args.out, network, {
        "test_accuracy": test, "valid_accuracy": history[epoch - 1], "epoch": epoch,
        "settings": {name: getattr(args, name) for name in ("epochs", "lr", "momentum", "lr_decay", "batch_size", "seed")}})
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
