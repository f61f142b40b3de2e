"""Every benchmark runs once in a tiny configuration so it cannot rot. No time is asserted:
speed is measured by running the benchmarks themselves (see the README)."""
import json
import os
import subprocess
import sys

BENCHMARKS = os.path.join(os.path.dirname(__file__), "..", "benchmarks")


def run_benchmark(script, *flags):
    done = subprocess.run([sys.executable, os.path.join(BENCHMARKS, script), "--json", *flags],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


TINY = ("--batch-size", "8", "--iters", "1", "--warmup", "1", "--repeats", "1")


def test_train_step_prints_one_json_line():
    for update in ("alternating", "simultaneous"):
        result = json.loads(run_benchmark("train_step.py", *TINY, "--update", update))
        assert result["library"] == "tinygan" and result["batch"] == 8 and result["update"] == update
        assert result["ms_per_iter"] > 0 and result["gemm_bound_ms"] > 0 and result["gflop_per_iter"] > 0


def test_torch_reference_runs_or_says_it_is_skipped():
    line = run_benchmark("torch_reference.py", *TINY)
    if line.startswith("skipped"):
        assert "PyTorch is not installed" in line
    else:
        result = json.loads(line)
        assert result["library"] == "torch" and result["ms_per_iter"] > 0


def test_parzen_benchmark_prints_seconds():
    result = json.loads(run_benchmark("parzen.py", "--n-samples", "50", "--n-valid", "10", "--n-test", "20"))
    assert result["seconds"] > 0 and result["n_test"] == 20


def test_compare_alternates_both_libraries_and_reports_ratios():
    result = json.loads(run_benchmark("compare.py", "--rounds", "1", *TINY))
    assert result["rounds"] == 1 and result["tinygan_ms"] > 0 and result["tinygan_over_gemm_bound"] > 0
    assert result.get("torch", "").startswith("skipped") or result["tinygan_over_torch"] > 0
