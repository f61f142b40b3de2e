"""Write a trained generator on its own: G's parameters (float32, no optimiser state, no D) with
the run's configuration and provenance, to share a model in a few MB.

    python examples/export_generator.py runs/mnist/checkpoint_epoch_800.npz -o pretrained/mnist_generator.npz \\
        --note "Table 1: σ = 0.17, 226.1 ± 2.1"

examples/sample.py, parzen_eval.py and interpolate.py read the result like a checkpoint.
"""
from tinygan import checkpoint, cli
from tinygan.presets import load_gan, save_gan


def main(argv=None):
    parser = cli.ArgumentParser(__doc__)
    parser.add_argument("checkpoint", help="a checkpoint written by examples/mnist_gan.py")
    parser.add_argument("-o", "--out", required=True, help="the .npz file to write")
    parser.add_argument("--note", default="", help="a line of provenance to keep in the file (e.g. its Table 1 figure)")
    args = parser.parse_args(argv)
    if not args.out.endswith(".npz"):
        cli.fail(f"-o {args.out}: expected a file name ending in .npz", cli.USAGE_ERROR)
    try:
        gan, config, meta = load_gan(args.checkpoint)
    except checkpoint.CheckpointError as error:
        cli.fail(str(error))
    provenance = {key: value for key, value in meta.items()
                  if key not in ("config", "iteration", "epoch", "n_pixels", "rng", "contents", "format", "logbook")}
    save_gan(args.out, gan, config, meta["iteration"], meta["epoch"], generator_only=True,
             exported_from=args.checkpoint, note=args.note, **provenance)
    print(f"wrote {args.out}: the generator of {args.checkpoint} (epoch {meta['epoch']})")


if __name__ == "__main__":
    main()
