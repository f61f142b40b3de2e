"""Every benchmark runs once in a tiny configuration so it cannot rot. No time is asserted:
speed is measured by running the benchmarks themselves (see the README)."""
import importlib.util
import json
import os
import subprocess
import sys

import pytest

BENCHMARKS = os.path.join(os.path.dirname(__file__), "..", "benchmarks")


def run_benchmark(script, *flags):
    done = subprocess.run([sys.executable, os.path.join(BENCHMARKS, script), "--json", *flags],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


TINY = ("--batch-size", "8", "--iters", "1", "--warmup", "1", "--repeats", "1")


def test_train_step_prints_one_json_line_with_consistent_figures():
    sys.path.insert(0, BENCHMARKS)
    from common import step_gflop
    for update in ("alternating", "simultaneous"):
        result = json.loads(run_benchmark("train_step.py", *TINY, "--update", update))
        assert result["library"] == "tinygan" and result["batch"] == 8 and result["update"] == update
        assert result["gflop_per_iter"] == round(step_gflop("paper", 8, update), 3)
        assert result["ratio_to_gemm_bound"] == pytest.approx(result["ms_per_iter"] / result["gemm_bound_ms"], abs=2e-3)


def test_the_papers_iteration_is_3_57_gflop():
    sys.path.insert(0, BENCHMARKS)
    from common import step_gflop
    assert step_gflop("paper", 100) == pytest.approx(3.57, abs=0.005)


def test_torch_reference_runs_where_torch_is_installed_and_says_so_where_not():
    line = run_benchmark("torch_reference.py", *TINY)
    if importlib.util.find_spec("torch") is None:
        assert line.startswith("skipped: PyTorch is not installed")
    else:
        result = json.loads(line)
        assert result["library"] == "torch" and result["batch"] == 8 and result["gflop_per_iter"] > 0


def test_parzen_benchmark_prints_seconds():
    result = json.loads(run_benchmark("parzen.py", "--n-samples", "50", "--n-valid", "10", "--n-test", "20"))
    assert (result["n_samples"], result["n_valid"], result["n_test"]) == (50, 10, 20)


def test_compare_alternates_both_libraries_and_reports_ratios():
    result = json.loads(run_benchmark("compare.py", "--rounds", "1", *TINY))
    assert result["rounds"] == 1 and len(result["tinygan_rounds_ms"]) == 1 and result["device"] == "numpy"
    assert result["tinygan_best_ms"] == result["tinygan_ms"] == result["tinygan_rounds_ms"][0]
    if importlib.util.find_spec("torch") is None:
        assert result["torch"].startswith("skipped")
    else:
        assert result["tinygan_over_torch"] == pytest.approx(result["tinygan_ms"] / result["torch_ms"], abs=2e-3)


def test_launches_counts_each_presets_iteration_with_the_fused_kernels_among_them():
    result = json.loads(run_benchmark("launches.py", "--batch-size", "8", "--top", "40"))
    for run in ("default", "paper", "paper-simultaneous", "wgan", "cgan"):
        assert result[run]["launches"] == sum(result[run]["most"].values())
    assert result["default"]["most"]["cublas_gemm"] == 25 + 6      # common.step_matmuls, and 6 bias gradients
    assert result["default"]["most"]["tinygan_MomentumSGD_momentum_step"] == 12   # G's 6 and D's 6 parameters
    assert result["wgan"]["most"]["tinygan_RMSProp_step"] == 5 * 6 + 6            # k = 5 critic steps
    assert result["default"]["replayed"] == 8 and result["wgan"]["replayed"] == 16  # + 4 batches, 4 more scalars


@pytest.mark.parametrize("script", ["train_step.py", "parzen.py", "compare.py"])
def test_a_gpu_benchmark_without_a_gpu_ends_in_one_line(script):
    from tinygan import backend
    if backend.gpu_available():
        pytest.skip("a GPU is here: the benchmark would run")
    done = subprocess.run([sys.executable, os.path.join(BENCHMARKS, script), "--device", "cupy"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1 and "cupy-cuda12x" in done.stderr


def test_train_step_times_the_captured_iteration_on_the_device_path(strict):
    sys.path.insert(0, BENCHMARKS)
    import train_step
    result = train_step.main(["--device", "cupy", "--cuda-graph", *TINY, "--iters", "3", "--no-gemm-bound"])
    assert result["cuda_graph"] and result["ms_per_iter"] > 0


@pytest.mark.parametrize("flag", ["--cuda-graph", "--tf32"])
@pytest.mark.parametrize("script, device", [("train_step.py", "numpy"), ("compare.py", "numpy"),
                                            ("torch_reference.py", "cpu")])
def test_gpu_only_flags_on_the_cpu_are_refused_in_one_line(script, device, flag):
    done = subprocess.run([sys.executable, os.path.join(BENCHMARKS, script), flag, "--device", device],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith(f"error: {flag} needs --device cu") and done.stderr.count("\n") == 1
