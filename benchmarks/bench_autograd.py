"""Autograd overhead of tinygrad_opt, printed as a table (and compared with micrograd when it is
installed: `pip install micrograd`).

    python benchmarks/bench_autograd.py [--repeat 5] [--chain 100000] [--no-micrograd]

Rows:
- a small graph: 20 ops (two 32×32 matmuls, elementwise ops, reductions) on 32×32 float32
  tensors, forward + backward;
- per-op overhead on tiny tensors (1 element of shape (1,), a 0-d scalar tensor — what
  `Tensor(2.0)` makes, micrograd's `Value` in tensor form — and 2×2): `y = y * 0.5 + 0.5`
  repeated (20 chains of 100 ops), forward only and forward + backward, divided by the number
  of ops (micrograd's column repeats its one scalar timing beside both 1-element rows);
- a chain of 100,000 ops (`y = y * 1.0001`), forward and backward separately (micrograd's
  recursive topological sort raises RecursionError here).

Every time is the median of `--repeat` runs. micrograd works on Python floats one scalar at a
time, so its "small graph" is the same computation spelled out element by element; the two
results are compared so the table also shows both libraries computed the same thing.
"""
import argparse
import gc
import os
import platform
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _machine import describe_machine  # noqa: E402

import tinygrad_opt as tg  # noqa: E402
from tinygrad_opt import Tensor  # noqa: E402

SIZE = 32
TINY_CHAINS, TINY_LENGTH = 20, 100    # per-op rows: 20 chains of 100 ops (micrograd's recursion
TINY_OPS = TINY_CHAINS * TINY_LENGTH  # limit rules out one long chain)


# ----------------------------------------------------------------------------- timing
def median_time(fn, repeat, setup=None):
    """Median wall time of fn(state) over `repeat` runs; `setup()` (untimed) makes the state."""
    times = []
    for _ in range(repeat):
        state = setup() if setup else None
        gc.collect()
        start = time.perf_counter()
        fn(state)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def fmt(seconds):
    if isinstance(seconds, str):
        return seconds
    if seconds is None:
        return "-"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.2f} µs"


# ----------------------------------------------------------------------------- tinygrad_opt
def inputs32(seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((SIZE, SIZE)).astype(np.float32) * 0.5 for _ in range(3)]


def graph_tg(a, b, c):
    """20 ops; the same computation as `graph_micrograd`."""
    h = a @ b                      # 1
    h = h + c                      # 2
    h = h.relu()                   # 3
    h = h * a                      # 4
    h = h - b                      # 5
    h = h / 32.0                   # 6
    h = h @ c                      # 7
    h = h ** 2                     # 8
    h = h + a                      # 9
    h = h.relu()                   # 10
    h = h * 0.5                    # 11
    h = h - c                      # 12
    h = h * b                      # 13
    h = h + 1.0                    # 14
    h = h.sum(axis=1)              # 15
    h = h / 1024.0                 # 16
    m = h.mean()                   # 17
    h = h - m                      # 18
    h = h ** 2                     # 19
    return h.sum()                 # 20


SMALL_GRAPH_RUNS = 50  # per timing: a single cold run mostly measures cache misses after gc.collect()


def bench_small_graph_tg(repeat):
    arrays = inputs32()

    def run(_):
        for _ in range(SMALL_GRAPH_RUNS):
            graph_tg(*[Tensor(x, requires_grad=True) for x in arrays]).backward()

    return median_time(run, repeat) / SMALL_GRAPH_RUNS


def bench_tiny_tg(repeat, shape, backward):
    def setup():
        return Tensor(np.full(shape, 0.3, dtype=np.float32), requires_grad=True)

    def run(x):
        for _ in range(TINY_CHAINS):
            y = x
            for _ in range(TINY_LENGTH // 2):
                y = y * 0.5 + 0.5
            if backward:
                y.sum().backward() if y.data.size > 1 else y.backward()

    return median_time(run, repeat, setup) / TINY_OPS


def bench_chain_tg(repeat, length):
    forward_times, backward_times = [], []
    for _ in range(repeat):
        x = Tensor(1.0, requires_grad=True)
        gc.collect()
        start = time.perf_counter()
        y = x
        for _ in range(length):
            y = y * 1.0001
        middle = time.perf_counter()
        y.backward()
        end = time.perf_counter()
        forward_times.append(middle - start)
        backward_times.append(end - middle)
        assert x.grad.item() == y.item()
        del x, y
    return statistics.median(forward_times), statistics.median(backward_times)


# ----------------------------------------------------------------------------- micrograd
def _mg_matmul(a, b):
    cols = list(zip(*b))
    return [[sum((x * y for x, y in zip(row, col)), 0.0) for col in cols] for row in a]


def _mg_map(fn, *mats):
    return [[fn(*items) for items in zip(*rows)] for rows in zip(*mats)]


def graph_micrograd(a, b, c):
    h = _mg_matmul(a, b)
    h = _mg_map(lambda x, y: x + y, h, c)
    h = _mg_map(lambda x: x.relu(), h)
    h = _mg_map(lambda x, y: x * y, h, a)
    h = _mg_map(lambda x, y: x - y, h, b)
    h = _mg_map(lambda x: x / 32.0, h)
    h = _mg_matmul(h, c)
    h = _mg_map(lambda x: x ** 2, h)
    h = _mg_map(lambda x, y: x + y, h, a)
    h = _mg_map(lambda x: x.relu(), h)
    h = _mg_map(lambda x: x * 0.5, h)
    h = _mg_map(lambda x, y: x - y, h, c)
    h = _mg_map(lambda x, y: x * y, h, b)
    h = _mg_map(lambda x: x + 1.0, h)
    rows = [sum(row, 0.0) for row in h]
    rows = [r / 1024.0 for r in rows]
    m = sum(rows, 0.0) / len(rows)
    rows = [(r - m) ** 2 for r in rows]
    return sum(rows, 0.0)


def bench_small_graph_micrograd(Value, repeat):
    arrays = [x.astype(np.float64).tolist() for x in inputs32()]

    def setup():
        return [[[Value(v) for v in row] for row in x] for x in arrays]

    def run(mats):
        graph_micrograd(*mats).backward()

    return median_time(run, repeat, setup)


def bench_tiny_micrograd(Value, repeat, backward):
    def run(_):
        x = Value(0.3)
        for _ in range(TINY_CHAINS):
            y = x
            for _ in range(TINY_LENGTH // 2):
                y = y * 0.5 + 0.5
            if backward:
                y.backward()

    return median_time(run, repeat) / TINY_OPS


def bench_chain_micrograd(Value, repeat, length):
    """As `bench_chain_tg`. micrograd's recursive backward fails on a long chain: its column then
    says RecursionError, and the forward is still timed `repeat` times."""
    forward_times, backward_times = [], []
    for _ in range(repeat):
        x = Value(1.0)
        gc.collect()
        start = time.perf_counter()
        y = x
        for _ in range(length):
            y = y * 1.0001
        middle = time.perf_counter()
        try:
            y.backward()
        except RecursionError:
            backward_times.append(None)
        else:
            backward_times.append(time.perf_counter() - middle)
        forward_times.append(middle - start)
        del x, y            # freed here, not inside the next forward's timing
    backward = "RecursionError" if None in backward_times else statistics.median(backward_times)
    return statistics.median(forward_times), backward


def agreement_with_micrograd(Value):
    """Largest relative difference of the loss and of dL/da between the two libraries."""
    arrays = inputs32()
    tensors = [Tensor(x, dtype=np.float64, requires_grad=True) for x in arrays]
    loss = graph_tg(*tensors)
    loss.backward()
    mats = [[[Value(v) for v in row] for row in x.astype(np.float64).tolist()] for x in arrays]
    mg_loss = graph_micrograd(*mats)
    mg_loss.backward()
    grad_a = np.array([[v.grad for v in row] for row in mats[0]])
    scale = max(np.abs(grad_a).max(), 1e-30)
    return abs(loss.item() - mg_loss.data) / abs(mg_loss.data), np.abs(tensors[0].grad.data - grad_a).max() / scale


# ----------------------------------------------------------------------------- main
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement; the median is shown")
    parser.add_argument("--chain", type=int, default=100_000, help="length of the op chain")
    parser.add_argument("--no-micrograd", action="store_true", help="skip the micrograd column")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.chain < 1:
        parser.error("--repeat and --chain must be positive")

    Value = None
    if not args.no_micrograd:
        try:
            from micrograd.engine import Value
        except ImportError:
            Value = None

    print(describe_machine(optimizer_and_torch=False))
    print(f"tinygrad_opt {tg.__version__}; median of {args.repeat} runs; times per op are totals / {TINY_OPS} ops")
    print()

    chain_label = f"{args.chain:,}-op chain"
    rows = [
        (f"small graph fwd+bwd (20 ops, {SIZE}x{SIZE} float32)",
         lambda: bench_small_graph_tg(args.repeat),
         lambda: bench_small_graph_micrograd(Value, args.repeat)),
        ("per op, forward, 1 element, shape (1,)",
         lambda: bench_tiny_tg(args.repeat, (1,), backward=False),
         lambda: bench_tiny_micrograd(Value, args.repeat, backward=False)),
        ("per op, forward+backward, shape (1,)",
         lambda: bench_tiny_tg(args.repeat, (1,), backward=True),
         lambda: bench_tiny_micrograd(Value, args.repeat, backward=True)),
        ("per op, forward, 0-d (scalar tensor)",
         lambda: bench_tiny_tg(args.repeat, (), backward=False),
         lambda: bench_tiny_micrograd(Value, args.repeat, backward=False)),
        ("per op, forward+backward, 0-d",
         lambda: bench_tiny_tg(args.repeat, (), backward=True),
         lambda: bench_tiny_micrograd(Value, args.repeat, backward=True)),
        ("per op, forward, 2x2",
         lambda: bench_tiny_tg(args.repeat, (2, 2), backward=False), None),
        ("per op, forward+backward, 2x2",
         lambda: bench_tiny_tg(args.repeat, (2, 2), backward=True), None),
    ]
    headers = ("benchmark", "tinygrad_opt") + (("micrograd",) if Value else ())
    table = []
    for label, ours, theirs in rows:
        row = [label, fmt(ours())]
        if Value:
            row.append(fmt(theirs()) if theirs else "n/a (scalars only)")
        table.append(row)
    forward, backward = bench_chain_tg(args.repeat, args.chain)
    chain_rows = [[f"{chain_label}, forward", fmt(forward)], [f"{chain_label}, backward", fmt(backward)]]
    if Value:
        mg_forward, mg_backward = bench_chain_micrograd(Value, args.repeat, args.chain)
        chain_rows[0].append(fmt(mg_forward))
        chain_rows[1].append(fmt(mg_backward))
    table.extend(chain_rows)

    widths = [max(len(str(row[i])) for row in [headers, *table]) for i in range(len(headers))]
    line = "  ".join("-" * w for w in widths)
    print("  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(headers, widths))))
    print(line)
    for row in table:
        print("  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(row, widths))))

    if Value:
        loss_diff, grad_diff = agreement_with_micrograd(Value)
        print(f"\nsame small graph in float64: relative difference vs micrograd — loss {loss_diff:.1e}, "
              f"dL/da {grad_diff:.1e}")
    elif args.no_micrograd:
        print("\n(micrograd column skipped: --no-micrograd)")
    else:
        print("\n(micrograd not installed: `pip install micrograd` adds its column)")


if __name__ == "__main__":
    main()
