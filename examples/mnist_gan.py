"""Train the MNIST GAN of Goodfellow et al. (2014) with Algorithm 1.

    python examples/mnist_gan.py                          # the default preset, 100 epochs
    python examples/mnist_gan.py --epochs 1               # one epoch (~30 s on a 2-core CPU)
    python examples/mnist_gan.py --preset paper --update simultaneous --set noise_prior=gaussian
                                                          # the released code, number for number
    python examples/mnist_gan.py --resume runs/mnist/checkpoint.npz --epochs 200
    python examples/mnist_gan.py --device cupy --cuda-graph   # on a GPU, each iteration one graph launch
    python examples/mnist_gan.py --preset dcgan --data my_photos/ --channels 3 --image-size 32
                                                          # a convolutional GAN on your own PNG/JPEG files

Writes, under --out (default runs/mnist; a folder that holds a run is refused unless --resume or
--overwrite, and one that another live run holds is refused, naming its pid: .tinygan.lock):
    metrics.csv                one row per epoch: losses, mean D(x), mean D(G(z)), lr, momentum,
                               and what tinygan's MNIST classifier sees in 2,000 fixed samples
    samples/epoch_NNN.png      100 samples from the same fixed z every epoch
    samples.gif                those grids as an animation, 100 of them at most, evenly spaced
                               (written when the run ends or is stopped)
    checkpoint.npz             everything needed to resume exactly (after the first epoch, at the
                               end of an epoch once --checkpoint-every seconds have passed, at the
                               end of the run, and on Ctrl-C or SIGTERM, after which the run exits
                               with 130 or 143)
    checkpoint_epoch_NNN.npz   a copy kept every --keep-every epochs
    samples_nearest.png        samples beside their nearest training image (the paper's Fig. 2)
"""
from tinygan import cli, runs
from tinygan.optim import apply_paper_schedule


def main(argv=None):
    """Trains as the command line says; returns the finished run (a tinygan.runs.Run)."""
    cli.sturdy_output()
    args = runs.parse_args(__doc__, argv)
    # 1. The configuration: a preset of tinygan/presets.py (the default, which trains under
    #    Algorithm 1, or mnist.yaml's numbers: --preset paper), changed by the flags.
    # 2. The data: MNIST's 50,000 training digits (or your --data folder of images), uint8 rows
    #    copied to the device once.
    # 3. The two networks and their optimisers, new or as --resume's checkpoint left them:
    #    G: z ~ U(−√3, √3)¹⁰⁰ → ReLU 1200 → ReLU 1200 → sigmoid 784 (a 28 × 28 image);
    #    D: dropout → maxout 240×5 → dropout → maxout 240×5 → dropout → linear 1 (a logit);
    #    or, with --preset dcgan, the convolutional pair (tinygan/models.py builds both).
    # runs.prepare checks all of it, and the folder the run will write, before anything is written.
    run = runs.prepare(args)
    with run.owned() as stop:        # the folder is this run's until it ends; Ctrl-C stops it cleanly
        train(run, stop)             # 4. Algorithm 1
        run.finish()                 # 5. the closing figures: samples_nearest.png, samples.gif
    return run


def train(run, stop):
    """Algorithm 1's outer loop, an epoch of shuffled minibatches at a time, until --epochs
    (or --max-iters) or a stop."""
    gan, config = run.gan, run.config
    while run.iteration < run.last_iteration and not stop.requested:       # line 1: for each iteration …
        minibatches = run.minibatches()             # this epoch's real minibatches of m images, shuffled
        while run.iteration < run.epoch_end() and not stop.requested:
            lr, momentum = apply_paper_schedule(gan, config, run.iteration, run.epoch)   # mnist.yaml's schedule
            stats = run.iterate(minibatches)        # lines 2-8, GAN.train_iteration: k D steps (each on the
            run.record(stats, stop)                 # next minibatch and m fresh z), then one G step on m z
        run.end_epoch(lr, momentum, stop)           # the epoch's CSV row and grid; checkpoint.npz now and then


if __name__ == "__main__":
    main()
