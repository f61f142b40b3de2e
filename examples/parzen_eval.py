"""The paper's Table 1 measurement: Parzen-window log-likelihood of the MNIST test set.

    python examples/parzen_eval.py pretrained/mnist_generator.npz          # the shipped Table 1 row
    python examples/parzen_eval.py runs/mnist/checkpoint_epoch_*.npz       # choose one, then score it
    python examples/parzen_eval.py runs/mnist/checkpoint_epoch_*.npz --validation-only
                                                                           # follow a run: no test figure

Protocol (as the paper's code, parzen_ll.py): fit a Gaussian Parzen window on 10,000 samples
of G; choose σ from logspace(−1, 0, 10) by the mean log-likelihood of the first 1,000
validation images (train[50000:51000]); report the mean log-likelihood of the 10,000 test
images ± its standard error (std/√N). Prints σ, the figure and the time, and writes them as JSON.

Given several checkpoints, it chooses among them on validation images only: each one's σ as
above, then the mean log-likelihood of train[51000:60000] under it; the test set is scored
once, on the checkpoint that scores best there. Each checkpoint's validation record is kept
beside it (CHECKPOINT.validation.json) and read back while G's weights and the flags are the
same. --validation-only stops before the test set: a run still training can be followed as often
as wanted, each checkpoint scored once, without the test set ever guiding it.

Caveats (Theis, van den Oord & Bethge, 2016, "A note on the evaluation of generative models"):
in 784 dimensions a Parzen estimate from 10,000 samples is far from the model's true
log-likelihood, and it ranks models unreliably — a model that memorises training images, or even
k-means centroids, can score well while producing poor samples. Read the number as the paper's
yardstick, beside the samples, not as a likelihood.
"""
import json
import os
import time

from tinygan import backend, checkpoint, cli, data, files, metrics


def parse_args(argv=None):
    parser = cli.ArgumentParser(__doc__)
    parser.add_argument("checkpoints", nargs="+", metavar="checkpoint",
                        help="a checkpoint or generator written by tinygan; several: choose one on validation images")
    parser.add_argument("--data", default=data.SHIPPED_MNIST, help="the MNIST folder (default: the shipped one)")
    parser.add_argument("--n-samples", type=cli.positive_int, default=10000, help="generator samples (the paper: 10,000)")
    parser.add_argument("--seed", type=cli.seed, default=0, help="seeds the noise of the samples")
    parser.add_argument("--device", choices=backend.DEVICES, default="numpy")
    parser.add_argument("--validation-only", action="store_true",
                        help="score the checkpoints on validation images only, and no test figure")
    parser.add_argument("--json", type=cli.output_file, help="where to write the result (default: the scored checkpoint with .parzen.json "
                        "for .npz, e.g. checkpoint.parzen.json; with --validation-only, nowhere)")
    return parser.parse_args(argv)


def json_path(args, checkpoint_path):
    return args.json or checkpoint.record_path(checkpoint_path, "parzen")


def outputs(args):
    """The files this command may write (which checkpoint is chosen is not known yet)."""
    if args.validation_only:
        return [args.json] if args.json else []
    return {json_path(args, c) for c in args.checkpoints}


def load_generator(path, args, fingerprint):
    """(gan, metadata) of the generator in ``path``, its noise seeded by --seed; refuses a
    generator trained on other images than --data's."""
    try:
        gan, _, meta = checkpoint.load_gan(path, args.device)
        checkpoint.check_trained_on(path, meta, args.data, fingerprint)
    except checkpoint.CheckpointError as error:
        cli.fail(str(error))
    gan.set_rng(backend.default_rng(args.seed, args.device))
    return gan, meta


def samples_of(gan, args):
    """(n_samples, 784) float32 samples of G, on --device (a conditional G's over all its labels)."""
    return gan.sample(args.n_samples)


def validation_record(path, args, fingerprint, valid):
    """{"checkpoint", "epoch", "sigma", "validation_log_likelihood"} of the generator in ``path``
    (σ and the mean log-likelihood of train[51000:60000], as ``metrics.parzen_validation_score``).

    The record is kept beside the checkpoint with what it depends on (G's weights, by a hash of
    each array, the images, the samples' count, seed and device) and read back while those are the
    same, so a run in progress can be followed without scoring its kept checkpoints again."""
    gan, meta = load_generator(path, args, fingerprint)
    key = {"iteration": meta["iteration"], "generator": checkpoint.generator_fingerprint(gan), "data": fingerprint,
           "n_samples": args.n_samples, "seed": args.seed, "device": args.device}
    try:
        with open(checkpoint.record_path(path, "validation")) as f:
            kept = json.load(f)
        if kept["key"] == key:
            return {**kept["record"], "checkpoint": path}
    except (OSError, ValueError, KeyError, TypeError):            # none kept, or not one of ours
        pass
    sigma, score = metrics.parzen_validation_score(samples_of(gan, args), valid)
    record = {"checkpoint": path, "epoch": meta["epoch"], "sigma": sigma, "validation_log_likelihood": score}
    try:
        with files.atomic_write(checkpoint.record_path(path, "validation"), "w") as f:
            json.dump({"key": key, "record": record}, f, indent=2)
    except OSError:                                                 # a read-only folder only loses the record
        pass
    return record


def select(args, fingerprint, valid):
    """One validation record per checkpoint (``validation_record``), printed as it comes, and
    the checkpoint whose samples score highest there: (its path, the records)."""
    records = []
    for path in files.numbered(args.checkpoints):                  # epoch_990 before epoch_1000
        records.append(validation_record(path, args, fingerprint, valid))
        print(f"{path} (epoch {records[-1]['epoch']}): sigma = {records[-1]['sigma']:.4f}, "
              f"validation log-likelihood (train[51000:60000]) = {records[-1]['validation_log_likelihood']:.2f}")
    best = max(records, key=lambda record: record["validation_log_likelihood"])
    return best["checkpoint"], records


def follow(args, fingerprint, valid):
    """--validation-only: each checkpoint's validation record (see ``select``), the best named;
    written to --json when given. Returns the records."""
    chosen, records = select(args, fingerprint, valid)
    print(f"best on validation images: {chosen} (the test set was not scored)")
    if args.json:
        with files.atomic_write(args.json, "w") as f:
            json.dump({"selection": records}, f, indent=2)
        print(f"wrote {args.json}")
    return records


def main(argv=None):
    args = parse_args(argv)
    for path in outputs(args):
        if not os.path.isdir(os.path.dirname(os.path.abspath(path))):
            cli.fail(f"--json {path}: its folder does not exist", cli.USAGE_ERROR)
    try:
        backend.get_xp(args.device)
        splits = data.load_mnist(args.data)
    except (RuntimeError, data.DataError) as error:
        cli.fail(str(error))
    fingerprint = data.fingerprint(splits["train"][0])
    valid = backend.to_device(data.to_unit_float(splits["valid"][0]), args.device)
    if args.validation_only:
        return follow(args, fingerprint, valid)
    test = backend.to_device(data.to_unit_float(splits["test"][0]), args.device)
    chosen, records = select(args, fingerprint, valid) if len(args.checkpoints) > 1 else (args.checkpoints[0], [])
    gan, meta = load_generator(chosen, args, fingerprint)
    samples = samples_of(gan, args)
    start = time.perf_counter()
    result = metrics.parzen_protocol(samples, valid, test)
    result.update(seconds=round(time.perf_counter() - start, 3), checkpoint=chosen, epoch=meta["epoch"],
                  iteration=meta["iteration"], generator=checkpoint.generator_fingerprint(gan), n_samples=args.n_samples,
                  seed=args.seed, device=args.device)
    if "averaged_epochs" in meta:
        result["averaged_epochs"] = meta["averaged_epochs"]
    if records:
        result["selection"] = records
    print(f"sigma = {result['sigma']:.4f}")
    print(f"Parzen log-likelihood of the MNIST test set = {result['log_likelihood']:.2f} "
          f"± {result['standard_error']:.2f}  ({checkpoint.describe(chosen, meta)}, {result['seconds']:.2f} s)")
    if "parzen" in meta:
        print(f"the file records: {meta['parzen']['log_likelihood']:.2f} ± {meta['parzen']['standard_error']:.2f} "
              f"(sigma = {meta['parzen']['sigma']:.4f})")
    path = json_path(args, chosen)
    with files.atomic_write(path, "w") as f:
        json.dump(result, f, indent=2)
    print(f"wrote {path}")
    return result


if __name__ == "__main__":
    main()
