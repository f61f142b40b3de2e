"""Time the paper's Parzen protocol: σ chosen from 10 values on 1,000 validation rows, then
10,000 test rows scored against 10,000 samples (784 dimensions).

    python benchmarks/parzen.py --json
"""
import time

import numpy as np

from common import report, threads

from tinygan import backend, cli, metrics


def main(argv=None):
    parser = cli.ArgumentParser(__doc__)
    parser.add_argument("--device", choices=backend.DEVICES, default="numpy")
    parser.add_argument("--n-samples", type=cli.positive_int, default=10000)
    parser.add_argument("--n-test", type=cli.positive_int, default=10000)
    parser.add_argument("--n-valid", type=cli.positive_int, default=1000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    xp = cli.array_module(args.device)
    rng = np.random.default_rng(0)
    samples, valid, test = (backend.to_device(rng.random((n, 784), dtype=np.float32), args.device)
                            for n in (args.n_samples, args.n_valid, args.n_test))
    start = time.perf_counter()
    metrics.parzen_protocol(samples, valid, test, n_valid=args.n_valid)
    backend.synchronize(xp)
    seconds = time.perf_counter() - start
    result = {"benchmark": "parzen", "device": args.device, "n_samples": args.n_samples,
              "n_valid": args.n_valid, "n_test": args.n_test, "seconds": round(seconds, 3), "threads": threads()}
    report(result, args.json)
    return result


if __name__ == "__main__":
    main()
