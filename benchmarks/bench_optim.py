"""Median time of one `optimizer.step()` on 1.8 M float32 parameters, per rule.

The parameters have the shapes of a 784-1024-1024-10 MLP: (1024, 784), (1024,), (1024, 1024),
(1024,), (10, 1024), (10,) — 1,863,690 numbers in six tensors. Gradients are fixed random
arrays (the step is timed, not backward). Each rule is warmed up (its state is created on the
first step), then timed `--repeat` times; the median is reported.

Columns: tinygrad_opt; torch.optim's default CPU path (the per-tensor `_single_tensor_*`
loop) and `foreach=True` (multi-tensor kernels) when torch is installed, with the ratio
tinygrad_opt / torch (below 1 means tinygrad_opt is faster). With `--numpy-path`, two more:
the same step on tinygrad_opt's plain numpy bodies (`use_kernels("numpy")`) timed round by
round beside the default path, and the ratio default / numpy. `--statistic min` reports the
fastest step instead of the median: on a machine shared with other jobs, the cost of a step
when nothing else got in its way.

    python benchmarks/bench_optim.py [--repeat 30] [--rules sgd,adam] [--torch-threads 1] [--numpy-path]
                                     [--statistic median|min] [--parallel-threshold 524288]
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _machine import describe_machine  # noqa: E402

import tinygrad_opt as tg  # noqa: E402
from tinygrad_opt.optim import kernels, registry  # noqa: E402

SHAPES = [(1024, 784), (1024,), (1024, 1024), (1024,), (10, 1024), (10,)]

# row → (rule in optim.registry, torch.optim class name, options besides the registry's lr).
# Momentum (the notes' form) is compared with torch's SGD(momentum=0.9), the same rule written
# with an unscaled buffer.
ROWS = {
    "sgd": ("sgd", "SGD", {}),
    "sgd_momentum": ("sgd", "SGD", dict(momentum=0.9)),
    "momentum": ("momentum", "SGD", dict(momentum=0.9)),
    "adagrad": ("adagrad", "Adagrad", {}),
    "rmsprop": ("rmsprop", "RMSprop", {}),
    "adam": ("adam", "Adam", {}),
    "adamw": ("adamw", "AdamW", {}),
    "adadelta": ("adadelta", "Adadelta", {}),
    "adamax": ("adamax", "Adamax", {}),
    "nadam": ("nadam", "NAdam", {}),
    "radam": ("radam", "RAdam", {}),
}
RULES = {row: (registry.RULES[rule].cls, torch_name, dict(lr=registry.RULES[rule].mlp_lr, **options))
         for row, (rule, torch_name, options) in ROWS.items()}


STATISTICS = {"median": statistics.median, "min": min}


def make_arrays(seed=0):
    rng = np.random.default_rng(seed)
    params = [(0.05 * rng.standard_normal(shape)).astype(np.float32) for shape in SHAPES]
    grads = [(1e-3 * rng.standard_normal(shape)).astype(np.float32) for shape in SHAPES]
    return params, grads


def step_times(steps, repeat, warmup=3, statistic=statistics.median):
    """Median (or `statistic`) seconds per call of each function in `steps`, timed in turn round
    by round (so a busy machine slows every column alike rather than whichever ran during the
    busy spell)."""
    for step in steps:
        for _ in range(warmup):
            step()
    times = [[] for _ in steps]
    for _ in range(repeat):
        for step, record in zip(steps, times):
            start = time.perf_counter()
            step()
            record.append(time.perf_counter() - start)
    return [statistic(record) for record in times]


def tinygrad_step(rule, options, arrays):
    params = [tg.Tensor(p, requires_grad=True) for p in arrays[0]]
    for p, g in zip(params, arrays[1]):
        p.grad = tg.Tensor(g)
    return rule(params, **options).step


def numpy_path_step(rule, options, arrays):
    step = tinygrad_step(rule, options, arrays)

    def on_numpy():
        kernels.use_kernels("numpy")
        try:
            step()
        finally:
            kernels.use_kernels("auto")
    return on_numpy


def torch_step(torch, name, options, arrays, foreach):
    params = [torch.tensor(p, requires_grad=True) for p in arrays[0]]
    for p, g in zip(params, arrays[1]):
        p.grad = torch.tensor(g)
    optimizer = getattr(torch.optim, name)(params, foreach=foreach, **options)

    def step():
        with torch.no_grad():
            optimizer.step()
    return step


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30, help="timed steps per rule (median reported)")
    parser.add_argument("--rules", default=",".join(RULES), help="comma-separated subset of " + ", ".join(RULES))
    parser.add_argument("--torch-threads", type=int, default=None,
                        help="torch.set_num_threads(N) first (default: torch's own choice; numpy's "
                             "ufuncs always use one thread)")
    parser.add_argument("--numpy-path", action="store_true",
                        help="also time tinygrad_opt's plain numpy bodies, beside the default path")
    parser.add_argument("--statistic", choices=tuple(STATISTICS), default="median",
                        help="report each column's median step (default) or its fastest")
    parser.add_argument("--parallel-threshold", type=int, default=None, metavar="N",
                        help="split the fused loops across cores for arrays of at least N numbers "
                             "(kernels.PARALLEL_THRESHOLD; default: never, as in training)")
    args = parser.parse_args(argv)
    kernels.PARALLEL_THRESHOLD = args.parallel_threshold
    names = [name.strip() for name in args.rules.split(",") if name.strip()]
    unknown = [name for name in names if name not in RULES]
    if unknown:
        parser.error(f"unknown rule(s) {', '.join(unknown)}; choose from {', '.join(RULES)}")

    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None and args.torch_threads:
        torch.set_num_threads(args.torch_threads)
    arrays = make_arrays()
    count = sum(p.size for p in arrays[0])
    print(describe_machine())
    print(f"optimizer step on {count:,} float32 parameters in {len(SHAPES)} tensors, "
          f"{args.statistic} of {args.repeat} steps\n")

    header = f"{'rule':14s} {'tinygrad_opt':>13s}"
    if args.numpy_path:
        header += f" {'numpy path':>10s} {'ratio':>6s}"
    if torch is not None:
        header += f" {'torch':>10s} {'ratio':>6s} {'foreach':>10s} {'ratio':>6s}"
    print(header)
    print("-" * len(header))
    for name in names:
        rule, torch_name, options = RULES[name]
        steps = [tinygrad_step(rule, options, arrays)]
        if args.numpy_path:
            steps.append(numpy_path_step(rule, options, arrays))
        if torch is not None:
            steps += [torch_step(torch, torch_name, options, arrays, foreach=False),
                      torch_step(torch, torch_name, options, arrays, foreach=True)]
        ours, *theirs = step_times(steps, args.repeat, statistic=STATISTICS[args.statistic])
        line = f"{name:14s} {ours * 1e3:10.2f} ms"
        if args.numpy_path:
            plain = theirs.pop(0)
            line += f" {plain * 1e3:7.2f} ms {ours / plain:5.2f}x"
        if theirs:
            single, multi = theirs
            line += f" {single * 1e3:7.2f} ms {ours / single:5.2f}x {multi * 1e3:7.2f} ms {ours / multi:5.2f}x"
        print(line)


if __name__ == "__main__":
    main()
