"""The same training iteration in PyTorch eager, for a side-by-side comparison with
benchmarks/train_step.py (same flags, same JSON). PyTorch is optional: without it this says so
and exits 0.

    python benchmarks/torch_reference.py --device cpu --batch-size 100 --json
    python benchmarks/torch_reference.py --preset dcgan --batch-size 64 --json   # as tinygan's dcgan preset
    python benchmarks/torch_reference.py --device cuda --cuda-graph --json    # the stretch anchor

With --cuda-graph it times replays of one iteration captured by ``torch.cuda.graph`` (after
warm-up on a side stream, as PyTorch's documentation does it), like train_step.py --cuda-graph.
"""
import math
import sys

from common import add_gpu_flags, add_timing_flags, check_gpu_flags, median_ms, report, step_gflop, threads

from tinygan import cli


def build(torch, preset, device):
    """(G, D, G's optimiser, D's optimiser, draw z, judge) of ``preset`` in PyTorch: judge(D, x, fake)
    gives D's logits on the real rows and then the fakes. The paper's D judges both in one batch;
    the DCGAN's judges each as its own batch (its BatchNorm never mixes them), as tinygan's does."""
    nn = torch.nn
    if preset == "dcgan":
        G = nn.Sequential(nn.Linear(100, 1024), nn.BatchNorm1d(1024), nn.ReLU(),
                          nn.Linear(1024, 128 * 7 * 7), nn.Unflatten(1, (128, 7, 7)), nn.BatchNorm2d(128), nn.ReLU(),
                          nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.ReLU(),
                          nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Sigmoid(), nn.Flatten()).to(device)
        D = nn.Sequential(nn.Unflatten(1, (1, 28, 28)), nn.Conv2d(1, 64, 4, 2, 1), nn.LeakyReLU(0.2),
                          nn.Conv2d(64, 128, 4, 2, 1), nn.BatchNorm2d(128), nn.LeakyReLU(0.2), nn.Flatten(),
                          nn.Linear(128 * 7 * 7, 1024), nn.BatchNorm1d(1024), nn.LeakyReLU(0.2),
                          nn.Linear(1024, 1)).to(device)
        adam = torch.optim.Adam
        return (G, D, adam(G.parameters(), lr=1e-3, betas=(0.5, 0.999)), adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999)),
                lambda m: torch.randn(m, 100, device=device), lambda D, x, fake: torch.cat([D(x), D(fake)]))

    class Maxout(nn.Module):
        def __init__(self, n_in, units, pieces):
            super().__init__()
            self.linear, self.units, self.pieces = nn.Linear(n_in, units * pieces), units, pieces

        def forward(self, x):
            return self.linear(x).view(len(x), self.pieces, self.units).max(dim=1).values

    G = nn.Sequential(nn.Linear(100, 1200), nn.ReLU(), nn.Linear(1200, 1200), nn.ReLU(),
                      nn.Linear(1200, 784), nn.Sigmoid()).to(device)
    D = nn.Sequential(nn.Dropout(0.2), Maxout(784, 240, 5), nn.Dropout(0.5), Maxout(240, 240, 5),
                      nn.Dropout(0.5), nn.Linear(240, 1)).to(device)
    r, sgd = math.sqrt(3), torch.optim.SGD
    return (G, D, sgd(G.parameters(), lr=0.1, momentum=0.5), sgd(D.parameters(), lr=0.1, momentum=0.5),
            lambda m: torch.rand(m, 100, device=device) * (2 * r) - r, lambda D, x, fake: D(torch.cat([x, fake])))


def main(argv=None):
    parser = cli.ArgumentParser(__doc__)
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    add_timing_flags(parser)
    add_gpu_flags(parser, "cuda")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    check_gpu_flags(parser, args, "cuda")
    try:
        import torch
    except ImportError:
        print("skipped: PyTorch is not installed (optional: pip install torch) — nothing to compare")
        return None
    torch.set_num_threads(threads())
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    torch.manual_seed(0)
    F, m, device = torch.nn.functional, args.batch_size, args.device
    G, D, opt_g, opt_d, draw, judge = build(torch, args.preset, device)
    x = torch.rand(m, 784, device=device)
    targets = torch.cat([torch.ones(m, 1, device=device), torch.zeros(m, 1, device=device)])

    def noise():
        return draw(m)

    def alternating():
        with torch.no_grad():
            fake = G(noise())
        disc_loss = F.binary_cross_entropy_with_logits(judge(D, x, fake), targets)
        opt_d.zero_grad(set_to_none=True)
        disc_loss.backward()
        opt_d.step()
        D.requires_grad_(False)                    # G's step: no gradients for D's weights
        gen_loss = F.binary_cross_entropy_with_logits(D(G(noise())), targets[:m])
        opt_g.zero_grad(set_to_none=True)
        gen_loss.backward()
        opt_g.step()
        D.requires_grad_(True)

    def simultaneous():
        logits = judge(D, x, G(noise()))
        disc_loss = F.binary_cross_entropy_with_logits(logits, targets)
        gen_loss = F.binary_cross_entropy_with_logits(logits[m:], targets[:m])
        opt_d.zero_grad(set_to_none=True)
        opt_g.zero_grad(set_to_none=True)
        disc_loss.backward(inputs=list(D.parameters()), retain_graph=True)
        gen_loss.backward(inputs=list(G.parameters()))
        opt_d.step()
        opt_g.step()

    step = alternating if args.update == "alternating" else simultaneous
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    if args.cuda_graph:
        step = captured(torch, step)
    ms = median_ms(step, args.iters, args.warmup, args.repeats, sync)
    gflop = step_gflop(args.preset, m, args.update)       # tinygan's count: the same products
    result = {"library": "torch", "preset": args.preset, "device": device, "batch": m, "update": args.update,
              "cuda_graph": args.cuda_graph, "tf32": args.tf32,
              "ms_per_iter": round(ms, 3), "samples_per_s": round(m / ms * 1e3, 1),
              "gflop_per_iter": round(gflop, 3), "gflops": round(gflop / ms * 1e3, 1),
              "threads": torch.get_num_threads(), "torch": torch.__version__}
    report(result, args.json)
    return result


def captured(torch, step):
    """``step`` captured as a CUDA graph -> its replay: three warm-up calls on a side stream
    (the optimisers' momentum buffers are created there), then the capture."""
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):
            step()
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        step()
    return graph.replay


if __name__ == "__main__":
    sys.exit(0 if main() is not False else 1)
