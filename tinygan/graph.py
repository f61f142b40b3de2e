"""Algorithm 1's iteration as a CUDA graph: recorded once, then replayed with one launch.

At small batches a GPU iteration is a hundred-odd kernels (``benchmarks/launches.py`` counts
them), most of them a few microseconds of work, and each launched from Python through CuPy, which
takes microseconds too: the iteration is bound by its launches. A CUDA graph records all of an iteration's kernels once
and replays them with a single launch. A replay repeats the same kernels on the same arrays, so
whatever changes from one iteration to the next must be on the device, in arrays the graph
recorded:

  * the real minibatches: copied, before each replay, into the arrays the capture read;
  * the optimisers' numbers (lr, momentum): 0-d device arrays that ``Optimizer.step`` reads
    (``DeviceNumbers``), filled before each replay;
  * the noise and the dropout masks: computed inside the graph by the GAN's ``CounterRNG`` from
    the draws' numbers, whose base is a device array moved on before each replay (``replayed``).

Everything else an iteration does is the same every time, which is why it can be recorded.
"""
from . import backend


class CaptureError(RuntimeError):
    """The iteration could not be recorded (an operation the CUDA runtime cannot capture)."""


class CapturedIteration:
    """``gan.train_iteration(batches)`` on the GPU, replayed from a CUDA graph.

    The first ``warmup`` calls run the iteration as it is (the first creates the optimisers'
    state), the next records it and every later call replays it; each call is one iteration of
    training, and returns its (4,) statistics, as ``train_iteration`` does. The graph updates the
    arrays it recorded, so after the capture the networks and optimisers must keep them (no
    ``load_state_dict``); eager work between calls (samples, checkpoints) is free to read them.
    gan: a GAN on the 'cupy' device.
    """

    def __init__(self, gan, warmup=2):
        if not isinstance(gan.rng, backend.CounterRNG):
            raise ValueError("a captured iteration draws its numbers with a backend.CounterRNG "
                             "(backend.default_rng on the device)")
        xp = gan.rng.xp                                # the device the networks live on
        self.n_real = gan.k if gan.update == "alternating" else 1   # minibatches = D's steps an iteration
        self.numbers = [DeviceNumbers(gan.G_optimizer, 1, "G", xp, gan.dtype),
                        DeviceNumbers(gan.D_optimizer, self.n_real, "D", xp, gan.dtype)]
        self.gan, self.warmup, self.calls = gan, warmup, 0
        self.graph, self.inputs, self.outputs, self.draws = backend.Graph(xp), None, None, None

    def __call__(self, batches):
        """batches: the iterator train_iteration would take; k minibatches are drawn from it."""
        real = [next(batches) for _ in range(self.n_real)]
        for numbers in self.numbers:
            numbers.fill()
        self.calls += 1
        if self.calls <= self.warmup:
            return self.graph.run(lambda: self.gan.train_iteration(iter(real)))
        if self.outputs is None:
            self.inputs, first = [_copy(batch) for batch in real], self.gan.rng.offset
            try:
                self.outputs = self.graph.capture(lambda: self.gan.train_iteration(iter(self.inputs)))
            except Exception as error:
                raise CaptureError(f"CUDA graph capture failed: {type(error).__name__}: {error}") from error
            self.draws = (first, self.gan.rng.offset - first)     # the offsets the graph recorded
            return self.outputs.copy()
        for buffer, batch in zip(self.inputs, real):
            _copy(batch, into=buffer)
        for numbers in self.numbers:
            numbers.replayed()
        self.gan.rng.replayed(*self.draws)
        self.graph.replay()
        return self.outputs.copy()


class DeviceNumbers:
    """An optimiser's numbers (lr, momentum, …) as 0-d device arrays, which its recorded steps
    read: ``fill`` writes those of its next step before each call, ``replayed`` counts the steps a
    replay took. steps: the optimiser's steps an iteration (D's k); numbers that change from one
    step to the next (Adam's bias corrections) cannot serve k > 1 steps from one fill."""

    def __init__(self, optimizer, steps, player, xp, dtype):
        if steps > 1 and optimizer.scalars(1) != optimizer.scalars(2):
            raise ValueError(f"a captured iteration takes {steps} steps of {player}'s {type(optimizer).__name__}, "
                             "whose numbers change every step: use k = 1, or no CUDA graph")
        self.optimizer, self.steps = optimizer, steps
        self.arrays = tuple(xp.zeros((), dtype) for _ in optimizer.scalars(1))
        optimizer.numbers = lambda t: self.arrays

    def fill(self):
        for array, value in zip(self.arrays, self.optimizer.scalars(self.optimizer.steps + 1)):
            array.fill(value)

    def replayed(self):
        self.optimizer.steps += self.steps        # what step() counts when Python runs it


def _copy(batch, into=None):
    """A copy of a minibatch (an array, or an (x, labels) pair), or the batch written into one."""
    if isinstance(batch, tuple):
        return tuple(_copy(part, into and into[i]) for i, part in enumerate(batch))
    if into is None:
        return batch.copy()
    into[...] = batch
    return into
