"""Trials per second of a sweep: a plain loop, 1 and 2 local worker processes, a 2-worker Dask cluster.

The trials are the sweep's default workload, the digits MLP of `tinygrad-opt compare`
(64-256-128-10, batch 32), shortened to `--epochs` (default 5) so a round takes about a
minute: `--rules` × `--lrs` with seed 0. Each way of running them first runs one trial per
worker (starting processes, importing numpy and numba, loading the data are a sweep's
fixed cost, shown as "startup"), then the timed batch. Rounds alternate the order of the
modes and the median over `--repeat` rounds is reported, so load from elsewhere on the
machine slows every column alike rather than whichever ran during a busy spell.

    python benchmarks/bench_sweep.py [--repeat 3] [--epochs 5] [--rules sgd,adam] [--lrs 1e-3:1e-1:4]

Every mode gives bit-identical results (checked here on every round), so the only difference
between the columns is where the trials ran.
"""
import argparse
import logging
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _machine import describe_machine  # noqa: E402

from tinygrad_opt.sweep import DaskCluster, InProcess, ProcessPool, Workload, make_grid, parse_lrs  # noqa: E402


def time_mode(make_executor, warmup, trials):
    """(startup seconds, seconds for `trials`, {key: measurements}) on a fresh executor."""
    started = time.perf_counter()
    with make_executor() as executor:
        list(executor.run(warmup))
        ready = time.perf_counter()
        results = {trial.key: result for trial, result in executor.run(trials)}
        done = time.perf_counter()
    return ready - started, done - ready, results


def comparable(results):
    return {key: {name: value for name, value in result.items() if name not in ("wall_time", "host", "pid")}
            for key, result in results.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--rules", default="sgd,momentum,adagrad,adam")
    parser.add_argument("--lrs", default="1e-3:1e-1:3")
    args = parser.parse_args(argv)

    print(describe_machine())
    workload = Workload.dataset("digits", epochs=args.epochs)
    trials = make_grid(workload, args.rules.split(","), parse_lrs(args.lrs), seeds=[0])
    warmup = make_grid(workload, ["sgd"], [0.01, 0.02], seeds=[1])  # one per worker, not timed
    print(f"{len(trials)} trials of {workload.describe()}; {args.repeat} rounds\n")

    from distributed import LocalCluster

    import dask

    environment = dict(os.environ)
    # Dask's nanny starts its workers with MALLOC_TRIM_THRESHOLD_=65536, which makes glibc hand
    # memory back to the system after nearly every numpy temporary: a trial then runs about
    # 1.5x slower. docs/sweeps.md tells users to start `dask worker` with a large threshold;
    # this cluster gets the same.
    with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": 128 * 2**20}), \
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                         dashboard_address=None, silence_logs=logging.ERROR) as cluster:
        # The nanny also leaves those settings in this process's environment, where the local
        # worker processes started afterwards would inherit them.
        os.environ.clear()
        os.environ.update(environment)
        modes = {
            "plain loop (this process)": lambda: InProcess(),
            "1 local worker": lambda: ProcessPool(jobs=1),
            "2 local workers": lambda: ProcessPool(jobs=2),
            "Dask LocalCluster, 2 workers": lambda: DaskCluster(cluster.scheduler_address),
        }
        seconds = {name: [] for name in modes}
        startup = {name: [] for name in modes}
        reference = None
        for round_number in range(args.repeat):
            order = list(modes) if round_number % 2 == 0 else list(reversed(modes))
            for name in order:
                start, elapsed, results = time_mode(modes[name], warmup, trials)
                startup[name].append(start)
                seconds[name].append(elapsed)
                reference = reference or comparable(results)
                assert comparable(results) == reference, f"{name} gave different numbers"
            print(f"round {round_number + 1}: " + ", ".join(f"{name} {seconds[name][-1]:.1f} s" for name in order))

    loop = statistics.median(seconds["plain loop (this process)"])
    one = statistics.median(seconds["1 local worker"])
    print(f"\n| mode | startup | {len(trials)} trials | trials/s | vs plain loop | vs 1 worker |")
    print("|---|---|---|---|---|---|")
    for name in modes:
        median = statistics.median(seconds[name])
        print(f"| {name} | {statistics.median(startup[name]):.1f} s | {median:.1f} s | {len(trials) / median:.2f} "
              f"| {loop / median:.2f}× | {one / median:.2f}× |")
    print("\nresults bit-identical in every mode and round: yes")


if __name__ == "__main__":
    main()
