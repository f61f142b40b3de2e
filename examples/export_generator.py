"""Write a trained generator on its own: G's parameters (float32, no optimiser state, no D) with
the run's configuration and provenance, to share a model in a few MB.

    python examples/parzen_eval.py runs/mnist/checkpoint_epoch_*.npz      # writes the chosen one's .parzen.json
    python examples/export_generator.py runs/mnist/checkpoint_epoch_800.npz -o pretrained/mnist_generator.npz

Given several checkpoints of one run, it writes the mean of their generators' weights
(checkpoint averaging, ``tinygan.checkpoint.average_generators``); score that file, then export it
again to carry its figure:

    python examples/export_generator.py runs/mnist/checkpoint_epoch_{41..80}0.npz -o runs/mnist/average.npz
    python examples/parzen_eval.py runs/mnist/average.npz
    python examples/export_generator.py runs/mnist/average.npz -o pretrained/mnist_generator.npz

The file keeps the run's configuration (its preset's name and values, update, seed), its data
fingerprint and device, the epoch (and the epochs averaged), the training time up to that epoch
(from the run's metrics.csv) and, when parzen_eval.py has scored it, its Table 1 figure (σ,
log-likelihood ± SE, how it was chosen). examples/sample.py, parzen_eval.py and interpolate.py
read it like a checkpoint.
"""
import json
import os

from tinygan import checkpoint, cli, logbook
from tinygan.presets import preset_name


def training_seconds(checkpoint_path, meta):
    """Seconds of training up to the checkpoint: its whole epochs from the metrics.csv beside it,
    plus the half-finished epoch its logbook carries (None without the CSV)."""
    path = os.path.join(os.path.dirname(os.path.abspath(checkpoint_path)), "metrics.csv")
    if not os.path.exists(path):
        return None
    try:
        rows = logbook.read_rows(path)
    except ValueError:
        cli.fail(f"{path}: not the metrics.csv of {checkpoint_path}'s run; move it away, or the checkpoint, to "
                 "export without the training time")
    whole = sum(float(row["seconds"]) for row in rows if int(row["epoch"]) <= meta["epoch"])
    return round(whole + (meta.get("logbook") or {}).get("seconds", 0.0), 1)


def read_parzen(path, gan, meta):
    """The parzen_eval.py record in ``path`` of the checkpoint whose GAN and metadata are ``gan``
    and ``meta`` (None if there is none); refuses a record of another iteration or of other weights."""
    if not os.path.exists(path):
        return None
    try:
        with open(path) as f:
            record = json.load(f)
        scored = record["iteration"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        cli.fail(f"--parzen {path}: not a parzen_eval.py result ({error!r})")
    if scored != meta["iteration"]:
        cli.fail(f"--parzen {path}: scores iteration {scored}, the checkpoint holds iteration {meta['iteration']}")
    if "generator" in record and record["generator"] != checkpoint.generator_fingerprint(gan):   # older: iteration only
        cli.fail(f"--parzen {path}: scores another generator of iteration {scored} "
                 "(its weights are not the checkpoint's)")
    return {key: record[key] for key in ("sigma", "log_likelihood", "standard_error", "n_samples", "seed", "selection")
            if key in record}


def main(argv=None):
    parser = cli.ArgumentParser(__doc__)
    parser.add_argument("checkpoints", nargs="+", metavar="checkpoint",
                        help="a checkpoint written by examples/mnist_gan.py, or a generator written by this "
                             "script; several checkpoints of one run: the mean of their generators")
    parser.add_argument("-o", "--out", required=True, type=cli.output_file, help="the .npz file to write")
    parser.add_argument("--parzen", help="its parzen_eval.py result (default: CHECKPOINT with .parzen.json; "
                                         "none for several checkpoints: score the file written, then export it)")
    args = parser.parse_args(argv)
    if not args.out.endswith(".npz"):
        cli.fail(f"-o {args.out}: expected a file name ending in .npz", cli.USAGE_ERROR)
    if os.path.exists(args.out):
        cli.fail(f"-o {args.out}: the file exists; remove it first to replace it", cli.USAGE_ERROR)
    if args.parzen and not os.path.exists(args.parzen):
        cli.fail(f"--parzen {args.parzen}: no such file", cli.USAGE_ERROR)
    source, averaged = args.checkpoints[-1], len(args.checkpoints) > 1
    try:
        gan, config, meta = checkpoint.average_generators(args.checkpoints) if averaged else checkpoint.load_gan(source)
    except checkpoint.CheckpointError as error:
        cli.fail(str(error))
    record = args.parzen or (None if averaged else checkpoint.record_path(source, "parzen"))
    parzen = read_parzen(record, gan, meta) if record else None
    provenance = {key: value for key, value in meta.items()
                  if key not in ("config", "iteration", "epoch", "n_pixels", "rng", "contents", "format", "logbook")}
    provenance["preset"] = preset_name(config)
    if meta["contents"] == "gan":                   # from a run's checkpoints, not a generator exported before
        provenance.update(exported_from=[os.path.basename(path) for path in args.checkpoints] if averaged
                          else os.path.basename(source), training_seconds=training_seconds(source, meta))
    if parzen:
        provenance["parzen"] = parzen
    checkpoint.save_gan(args.out, gan, config, meta["iteration"], meta["epoch"], generator_only=True, **provenance)
    figure = f", Parzen {parzen['log_likelihood']:.2f} ± {parzen['standard_error']:.2f}" if parzen else ""
    what = checkpoint.describe(os.path.dirname(source) if averaged else source, meta)
    print(f"wrote {args.out}: the generator of {what}{figure}")


if __name__ == "__main__":
    main()
