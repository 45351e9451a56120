"""Write PyTorch's second derivatives for `tests/test_func_torch.py` (run by hand, with torch):

    python tests/make_higher_fixtures.py     # writes tests/fixtures/higher/*.npz

For each case of `higher_cases.py`: the scalar s(x) = Σ f(x) ⊙ R (R random), random
directions v (one per input), the Hessian-vector product H v (one array per input) and the
second derivative along v, d²/dt² s(x + t·v) at t = 0 = vᵀ H v. And for the digits MLP with 2
hidden units: the full Hessian (160 × 160) of its cross-entropy on 64 digits at a random θ.
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, os.pardir))
import higher_cases  # noqa: E402

FIXTURES = os.path.join(HERE, "fixtures", "higher")


def write_case(name, index):
    fn = higher_cases.CASES[name][0]
    arrays = higher_cases.inputs_for(name, seed=index)
    rng = np.random.default_rng(1000 + index)
    inputs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = fn(torch, F, *inputs)
    projection = rng.standard_normal(tuple(out.shape))
    directions = [rng.standard_normal(a.shape) for a in arrays]
    s = (out * torch.tensor(projection)).sum()
    grads = torch.autograd.grad(s, inputs, create_graph=True, allow_unused=True)
    along = sum((g * torch.tensor(v)).sum() for g, v in zip(grads, directions) if g is not None)
    hv = torch.autograd.grad(along, inputs, allow_unused=True)
    hv = [np.zeros_like(a) if h is None else h.numpy() for h, a in zip(hv, arrays)]
    second = sum(float((h * v).sum()) for h, v in zip(hv, directions))
    np.savez(os.path.join(FIXTURES, f"{name}.npz"), projection=projection, second=second,
             **{f"input{i}": a for i, a in enumerate(arrays)},
             **{f"direction{i}": v for i, v in enumerate(directions)},
             **{f"hv{i}": h for i, h in enumerate(hv)})


def write_mlp():
    sys_path_package = os.path.join(HERE, os.pardir)
    sys.path.insert(0, sys_path_package)
    from tinygrad_opt.data import load_digits
    images, labels = load_digits()
    rng = np.random.default_rng(0)
    pick = rng.choice(len(labels), higher_cases.N_SAMPLES, replace=False)
    images, labels = images[pick].astype(np.float64) / 16.0, labels[pick].astype(np.int64)
    theta = rng.standard_normal(higher_cases.mlp_parameter_count()) * 0.5
    loss = lambda t: higher_cases.mlp_loss(torch, F, t, torch.tensor(images), torch.tensor(labels))  # noqa: E731
    hessian = torch.autograd.functional.hessian(loss, torch.tensor(theta)).numpy()
    np.savez(os.path.join(FIXTURES, "digits_mlp_hessian.npz"), images=images, labels=labels, theta=theta,
             loss=float(loss(torch.tensor(theta))), hessian=hessian)


if __name__ == "__main__":
    torch.set_default_dtype(torch.float64)
    os.makedirs(FIXTURES, exist_ok=True)
    for index, name in enumerate(sorted(higher_cases.CASES)):
        write_case(name, index)
    write_mlp()
    print(f"wrote {len(higher_cases.CASES) + 1} fixtures to {FIXTURES}")
