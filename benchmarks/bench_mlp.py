"""Median time of one MLP training step: forward, cross-entropy, backward, optimizer step.

Three sizes (float32, one process):
    small   64-32-10          batch 32
    medium  784-256-128-10    batch 128
    large   784-1024-1024-10  batch 256

Columns: tinygrad_opt; the same step written by hand in numpy (the floor a numpy engine can
reach: matmuls through BLAS, in-place optimizer updates, no graph); PyTorch when installed.
Ratios below 1 mean tinygrad_opt is faster.

    python benchmarks/bench_mlp.py [--optimizer adam] [--sizes small,medium,large] [--repeat 200]
        [--statistic median|min]
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
import tinygrad_opt.nn  # noqa: E402,F401  (tg.nn and tg.optim, used as framework.nn / framework.optim)
import tinygrad_opt.optim  # noqa: E402,F401
from tinygrad_opt.optim import registry  # noqa: E402

SIZES = {
    "small": ([64, 32, 10], 32),
    "medium": ([784, 256, 128, 10], 128),
    "large": ([784, 1024, 1024, 10], 256),
}
# Each rule with its teaching learning rate for an MLP (optim.registry); the numbers only need
# to keep training stable.
RULES = {name: dict(lr=registry.RULES[name].mlp_lr) for name in registry.NOTES_RULES}
RULES["momentum"]["momentum"] = 0.9
STATISTICS = {"median": statistics.median, "min": min}


def make_problem(sizes, batch, seed=0):
    rng = np.random.default_rng(seed)
    weights, biases = [], []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1 / np.sqrt(fan_in)
        weights.append(rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32))
        biases.append(rng.uniform(-bound, bound, fan_out).astype(np.float32))
    x = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], batch)
    return weights, biases, x, y


# ---------------------------------------------------------------- the numpy floor
class NumpyMLP:
    """The step written by hand: the least work a numpy implementation can do."""

    def __init__(self, weights, biases, rule, hyper):
        self.params = [w.copy() for w in weights] + [b.copy() for b in biases]
        self.n_layers = len(weights)
        self.rule, self.hyper, self.t = rule, hyper, 0
        self.state = [[np.zeros_like(p), np.zeros_like(p)] for p in self.params]
        self.scratch = [np.empty_like(p) for p in self.params]

    def step(self, x, y):
        weights, biases = self.params[:self.n_layers], self.params[self.n_layers:]
        activations = [x]
        h = x
        for k, (w, b) in enumerate(zip(weights, biases)):
            h = h @ w.T
            h += b
            if k < self.n_layers - 1:
                np.maximum(h, 0, out=h)
            activations.append(h)
        rows = np.arange(len(y))
        shifted = h - h.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)
        loss = (np.log(total[:, 0]) - shifted[rows, y]).mean()
        grad = exp
        grad /= total
        grad[rows, y] -= 1
        grad /= len(y)
        grads_w, grads_b = [None] * self.n_layers, [None] * self.n_layers
        for k in range(self.n_layers - 1, -1, -1):
            grads_w[k] = grad.T @ activations[k]
            grads_b[k] = grad.sum(axis=0)
            if k:
                grad = grad @ weights[k]
                grad *= activations[k] > 0
        self.update(grads_w + grads_b)
        return loss

    def update(self, grads):
        self.t += 1
        lr, t = self.hyper["lr"], self.t
        for p, g, (a, b), tmp in zip(self.params, grads, self.state, self.scratch):
            if self.rule == "sgd":
                g *= lr
                p -= g
            elif self.rule == "momentum":
                a *= self.hyper["momentum"]
                g *= lr
                a += g
                p -= a
            elif self.rule == "adagrad":
                np.multiply(g, g, out=tmp)
                a += tmp
                np.sqrt(a, out=tmp)
                tmp += 1e-10
                np.divide(g, tmp, out=tmp)
                tmp *= lr
                p -= tmp
            elif self.rule == "rmsprop":
                a *= 0.99
                np.multiply(g, g, out=tmp)
                tmp *= 0.01
                a += tmp
                np.sqrt(a, out=tmp)
                tmp += 1e-8
                np.divide(g, tmp, out=tmp)
                tmp *= lr
                p -= tmp
            else:  # adam
                a *= 0.9
                np.multiply(g, 0.1, out=tmp)
                a += tmp
                b *= 0.999
                np.multiply(g, g, out=tmp)
                tmp *= 0.001
                b += tmp
                np.sqrt(b, out=tmp)
                tmp /= (1 - 0.999 ** t) ** 0.5
                tmp += 1e-8
                np.divide(a, tmp, out=tmp)
                tmp *= lr / (1 - 0.9 ** t)
                p -= tmp


# ---------------------------------------------------------------- tinygrad_opt and PyTorch
# PyTorch's class for each rule (tinygrad_opt's comes from its registry: for "momentum" that is
# Momentum, the notes' form, equal to SGD with momentum while the learning rate is constant).
TORCH_NAMES = {"sgd": "SGD", "momentum": "SGD", "adagrad": "Adagrad", "rmsprop": "RMSprop", "adam": "Adam"}


def framework_step_fn(framework, weights, biases, x, y, rule, hyper):
    """One training step built with `framework`, tinygrad_opt or torch: the code is the same."""
    layers = []
    for k, (w, b) in enumerate(zip(weights, biases)):
        linear = framework.nn.Linear(w.shape[1], w.shape[0])
        with framework.no_grad():
            linear.weight.copy_(framework.tensor(w))
            linear.bias.copy_(framework.tensor(b))
        layers.append(linear)
        if k < len(weights) - 1:
            layers.append(framework.nn.ReLU())
    model = framework.nn.Sequential(*layers)
    rule_class = registry.RULES[rule].cls if framework is tg else getattr(framework.optim, TORCH_NAMES[rule])
    optimizer = rule_class(model.parameters(), **hyper)
    loss_fn = framework.nn.CrossEntropyLoss()
    inputs, labels = framework.tensor(x), framework.tensor(y)

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), labels)
        loss.backward()
        optimizer.step()
        return loss
    return step


def torch_step_fn(*problem):
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(os.cpu_count() or 1)
    return framework_step_fn(torch, *problem)


# Each turn starts with untimed steps for at least this long: the previous contender's BLAS
# threads go on spinning for up to ~0.1 s after its last call (OpenBLAS's default timeout) and
# would take a core from this one. (Sleeping instead is worse: this VM's core then runs slowly
# for a while after it wakes.)
TURN_WARM_UP_S = 0.15


def step_ms(steps, repeat, rounds=10, statistic=statistics.median):
    """Median (or `statistic`) ms per call of each of `steps`, timed in turns: `rounds` rounds,
    each running every step `repeat // rounds` times, so that a slow spell of the machine (a
    neighbour's load) is shared by all of them instead of falling on one column's block of
    steps. `min` is the steadier statistic when the machine is busy in bursts."""
    times = [[] for _ in steps]
    for _ in range(rounds):
        for step, own in zip(steps, times):
            warm_until = time.perf_counter() + TURN_WARM_UP_S
            step()
            while time.perf_counter() < warm_until:
                step()
            for _ in range(max(1, repeat // rounds)):
                start = time.perf_counter()
                step()
                own.append(time.perf_counter() - start)
    return [statistic(own) * 1e3 for own in times]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--optimizer", default="adam", choices=sorted(RULES))
    parser.add_argument("--sizes", default="small,medium,large")
    parser.add_argument("--repeat", type=int, default=None,
                        help="timed steps per measurement (default: 300 small, 100 medium, 30 large)")
    parser.add_argument("--statistic", choices=tuple(STATISTICS), default="median",
                        help="of each column's timed steps (default: median)")
    args = parser.parse_args(argv)
    print(describe_machine())
    print(f"\nMLP training step, optimizer {args.optimizer}, {args.statistic} ms per step\n")
    header = f"{'size':8} {'tinygrad_opt':>13} {'numpy floor':>12} {'torch':>9} {'vs floor':>9} {'vs torch':>9}"
    print(header)
    print("-" * len(header))
    default_repeat = {"small": 300, "medium": 100, "large": 30}
    for size in args.sizes.split(","):
        sizes, batch = SIZES[size]
        repeat = args.repeat or default_repeat[size]
        weights, biases, x, y = make_problem(sizes, batch)
        hyper = RULES[args.optimizer]
        contenders = [framework_step_fn(tg, weights, biases, x, y, args.optimizer, hyper)]
        floor_model = NumpyMLP(weights, biases, args.optimizer, hyper)
        contenders.append(lambda: floor_model.step(x, y))
        torch_step = torch_step_fn(weights, biases, x, y, args.optimizer, hyper)
        if torch_step:
            contenders.append(torch_step)
        ours, floor, *reference = step_ms(contenders, repeat, statistic=STATISTICS[args.statistic])
        reference = reference[0] if reference else None
        torch_cell = f"{reference:9.3f}" if reference else f"{'—':>9}"
        ratio_cell = f"{ours / reference:9.2f}" if reference else f"{'—':>9}"
        print(f"{size:8} {ours:13.3f} {floor:12.3f} {torch_cell} {ours / floor:9.2f} {ratio_cell}")


if __name__ == "__main__":
    main()
