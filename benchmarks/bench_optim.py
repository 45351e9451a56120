"""Median time of one `optimizer.step()` on 1.8 M float32 parameters, per rule.

The parameters have the shapes of a 784-1024-1024-10 MLP: (1024, 784), (1024,), (1024, 1024),
(1024,), (10, 1024), (10,) — 1,863,690 numbers in six tensors. Gradients are fixed random
arrays (the step is timed, not backward). Each rule is warmed up (its state is created on the
first step), then timed `--repeat` times; the median is reported.

Columns: tinygrad_opt; torch.optim's default CPU path (the per-tensor `_single_tensor_*`
loop) and `foreach=True` (multi-tensor kernels) when torch is installed, with the ratio
tinygrad_opt / torch (below 1 means tinygrad_opt is faster).

    python benchmarks/bench_optim.py [--repeat 30] [--rules sgd,adam] [--torch-threads 1]
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
from tinygrad_opt.optim import registry  # noqa: E402

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


def make_arrays(seed=0):
    rng = np.random.default_rng(seed)
    params = [(0.05 * rng.standard_normal(shape)).astype(np.float32) for shape in SHAPES]
    grads = [(1e-3 * rng.standard_normal(shape)).astype(np.float32) for shape in SHAPES]
    return params, grads


def median_step_times(steps, repeat, warmup=3):
    """Median seconds per call of each function in `steps`, timed in turn round by round (so a
    busy machine slows every column alike rather than whichever ran during the busy spell)."""
    for step in steps:
        for _ in range(warmup):
            step()
    times = [[] for _ in steps]
    for _ in range(repeat):
        for step, record in zip(steps, times):
            start = time.perf_counter()
            step()
            record.append(time.perf_counter() - start)
    return [statistics.median(record) for record in times]


def tinygrad_step(rule, options, arrays):
    params = [tg.Tensor(p, requires_grad=True) for p in arrays[0]]
    for p, g in zip(params, arrays[1]):
        p.grad = tg.Tensor(g)
    return rule(params, **options).step


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
    args = parser.parse_args(argv)
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
          f"median of {args.repeat} steps\n")

    header = f"{'rule':14s} {'tinygrad_opt':>13s}"
    if torch is not None:
        header += f" {'torch':>10s} {'ratio':>6s} {'foreach':>10s} {'ratio':>6s}"
    print(header)
    print("-" * len(header))
    for name in names:
        rule, torch_name, options = RULES[name]
        steps = [tinygrad_step(rule, options, arrays)]
        if torch is not None:
            steps += [torch_step(torch, torch_name, options, arrays, foreach=False),
                      torch_step(torch, torch_name, options, arrays, foreach=True)]
        ours, *theirs = median_step_times(steps, args.repeat)
        line = f"{name:14s} {ours * 1e3:10.2f} ms"
        if theirs:
            single, multi = theirs
            line += f" {single * 1e3:7.2f} ms {ours / single:5.2f}x {multi * 1e3:7.2f} ms {ours / multi:5.2f}x"
        print(line)


if __name__ == "__main__":
    main()
