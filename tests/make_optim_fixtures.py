"""Write PyTorch's reference trajectories for `tests/test_optim_reference.py`.

Run by hand where PyTorch is installed (the tests themselves never need it):

    python tests/make_optim_fixtures.py          # writes tests/fixtures/optim/*.npz

The problem is a small least-squares fit in float64 with two parameter tensors,

    L(W, c) = 1/(2N) · ‖X·W + c − Y‖²,   ∂L/∂W = Xᵀ·R,  ∂L/∂c = Σ_rows R,  R = (X·W + c − Y)/N

with X (16×4), Y (16×3), W (4×3), c (3,) drawn once from a fixed seed and stored in
`problem.npz`. The gradients are computed here with numpy and handed to torch as `.grad`, so
the tests can recompute exactly the same gradients without torch: any difference between a
fixture and `tinygrad_opt.optim` comes from the update rule alone.

Each `<name>.npz` holds one configuration (rule, options, parameter groups, optional
scheduler; as JSON in `config`) and the parameters after steps 0, 10, 20, ..., 200.
`lr_schedules.npz` holds PyTorch's learning rates for 60 epochs of each scheduler.
"""
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures", "optim")
STEPS = 200
EVERY = 10

# name → rule (tinygrad_opt.optim class), torch class, defaults, groups (None: one group of
# both tensors; else a list of (tensor names, group options)), scheduler (name, kwargs) or None,
# and optionally options given to torch only (NAG is torch's SGD with nesterov=True).
CONFIGS = {
    "sgd": ("SGD", "SGD", dict(lr=0.1), None, None),
    "sgd_momentum": ("SGD", "SGD", dict(lr=0.05, momentum=0.9), None, None),
    "sgd_dampening": ("SGD", "SGD", dict(lr=0.05, momentum=0.9, dampening=0.5), None, None),
    "sgd_nesterov": ("SGD", "SGD", dict(lr=0.05, momentum=0.9, nesterov=True), None, None),
    "sgd_weight_decay": ("SGD", "SGD", dict(lr=0.05, momentum=0.5, weight_decay=0.1), None, None),
    "sgd_maximize": ("SGD", "SGD", dict(lr=0.05, momentum=0.9, maximize=True), None, None),
    "sgd_groups": ("SGD", "SGD", dict(lr=0.05, momentum=0.9),
                   [(["W"], {}), (["c"], dict(lr=0.01, momentum=0.5))], None),
    "sgd_momentum_steplr": ("SGD", "SGD", dict(lr=0.1, momentum=0.9), None,
                            ("StepLR", dict(step_size=50, gamma=0.5))),
    "adagrad": ("Adagrad", "Adagrad", dict(lr=0.1), None, None),
    "adagrad_lr_decay": ("Adagrad", "Adagrad", dict(lr=0.2, lr_decay=0.01), None, None),
    "adagrad_initial_accumulator": ("Adagrad", "Adagrad",
                                    dict(lr=0.1, initial_accumulator_value=0.1, weight_decay=0.05), None, None),
    "adagrad_maximize": ("Adagrad", "Adagrad", dict(lr=0.1, maximize=True), None, None),
    "adagrad_groups": ("Adagrad", "Adagrad", dict(lr=0.1),
                       [(["W"], dict(lr=0.2)), (["c"], dict(lr=0.05, lr_decay=0.1))], None),
    "rmsprop": ("RMSprop", "RMSprop", dict(lr=0.01), None, None),
    # With a small decay (α or β1 ≤ 0.9) and a tiny ε the normalised step g/√G is almost
    # sign(g) near the minimum: the iteration is chaotic there and a last-bit difference (torch's
    # fused multiply-add) grows to 1e-3 within 200 steps. A larger ε keeps those trajectories a
    # smooth function of the arithmetic, so they can be compared at 1e-10.
    "rmsprop_notes_alpha": ("RMSprop", "RMSprop", dict(lr=0.01, alpha=0.9, eps=0.1), None, None),
    "rmsprop_centered": ("RMSprop", "RMSprop", dict(lr=0.01, centered=True), None, None),
    "rmsprop_momentum": ("RMSprop", "RMSprop", dict(lr=0.005, momentum=0.9, weight_decay=0.05), None, None),
    "rmsprop_centered_momentum": ("RMSprop", "RMSprop", dict(lr=0.005, alpha=0.9, eps=0.1, momentum=0.5, centered=True),
                                  None, None),
    "rmsprop_maximize": ("RMSprop", "RMSprop", dict(lr=0.01, maximize=True), None, None),
    "adam": ("Adam", "Adam", dict(lr=0.02), None, None),
    "adam_amsgrad": ("Adam", "Adam", dict(lr=0.02, amsgrad=True), None, None),
    "adam_weight_decay": ("Adam", "Adam", dict(lr=0.02, weight_decay=0.1), None, None),
    "adam_maximize": ("Adam", "Adam", dict(lr=0.02, maximize=True), None, None),
    "adam_betas": ("Adam", "Adam", dict(lr=0.02, betas=(0.5, 0.9), eps=0.01), None, None),
    "adam_groups": ("Adam", "Adam", dict(lr=0.02),
                    [(["W"], {}), (["c"], dict(lr=0.05, betas=(0.8, 0.99)))], None),
    "adam_cosine": ("Adam", "Adam", dict(lr=0.05), None, ("CosineAnnealingLR", dict(T_max=200, eta_min=0.001))),
    "adamw": ("AdamW", "AdamW", dict(lr=0.02, weight_decay=0.1), None, None),
    "adamw_amsgrad": ("AdamW", "AdamW", dict(lr=0.02, weight_decay=0.1, amsgrad=True), None, None),
    "adamw_default_decay": ("AdamW", "AdamW", dict(lr=0.02), None, None),
    # The rest of Ruder's overview.
    "nag": ("NAG", "SGD", dict(lr=0.05, momentum=0.9), None, None, dict(nesterov=True)),
    "nag_weight_decay": ("NAG", "SGD", dict(lr=0.05, momentum=0.5, weight_decay=0.1), None, None,
                         dict(nesterov=True)),
    "nag_maximize": ("NAG", "SGD", dict(lr=0.05, momentum=0.9, maximize=True), None, None, dict(nesterov=True)),
    "nag_groups": ("NAG", "SGD", dict(lr=0.05, momentum=0.9),
                   [(["W"], {}), (["c"], dict(lr=0.01, momentum=0.5))], None, dict(nesterov=True)),
    "adadelta": ("Adadelta", "Adadelta", dict(eps=1e-3), None, None),
    "adadelta_lr_rho": ("Adadelta", "Adadelta", dict(lr=0.5, rho=0.5, eps=1e-2), None, None),
    "adadelta_weight_decay": ("Adadelta", "Adadelta", dict(lr=0.5, eps=1e-2, weight_decay=0.05), None, None),
    "adadelta_maximize": ("Adadelta", "Adadelta", dict(eps=1e-3, maximize=True), None, None),
    "adadelta_groups": ("Adadelta", "Adadelta", dict(lr=0.5, eps=1e-2),
                        [(["W"], {}), (["c"], dict(lr=0.2, rho=0.95))], None),
    "adamax": ("Adamax", "Adamax", dict(lr=0.02), None, None),
    "adamax_weight_decay": ("AdaMax", "Adamax", dict(lr=0.02, weight_decay=0.1), None, None),
    "adamax_maximize": ("Adamax", "Adamax", dict(lr=0.02, maximize=True), None, None),
    "adamax_betas": ("Adamax", "Adamax", dict(lr=0.02, betas=(0.5, 0.9), eps=0.01), None, None),
    "adamax_groups": ("Adamax", "Adamax", dict(lr=0.02),
                      [(["W"], {}), (["c"], dict(lr=0.05, betas=(0.8, 0.99)))], None),
    "nadam": ("NAdam", "NAdam", dict(lr=0.02), None, None),
    "nadam_momentum_decay": ("NAdam", "NAdam", dict(lr=0.02, momentum_decay=0.1), None, None),
    "nadam_weight_decay": ("Nadam", "NAdam", dict(lr=0.02, weight_decay=0.1, eps=0.01), None, None),
    "nadam_decoupled": ("NAdam", "NAdam", dict(lr=0.02, weight_decay=0.1, decoupled_weight_decay=True), None, None),
    "nadam_maximize": ("NAdam", "NAdam", dict(lr=0.02, maximize=True), None, None),
    "nadam_betas": ("NAdam", "NAdam", dict(lr=0.02, betas=(0.5, 0.9), eps=0.1), None, None),
    "nadam_groups": ("NAdam", "NAdam", dict(lr=0.02, eps=0.01),
                     [(["W"], {}), (["c"], dict(lr=0.05, betas=(0.8, 0.99), momentum_decay=0.01))], None),
    "nadam_cosine": ("NAdam", "NAdam", dict(lr=0.05), None, ("CosineAnnealingLR", dict(T_max=200, eta_min=0.001))),
    "radam": ("RAdam", "RAdam", dict(lr=0.02), None, None),
    "radam_weight_decay": ("RAdam", "RAdam", dict(lr=0.02, weight_decay=0.1), None, None),
    "radam_decoupled": ("RAdam", "RAdam", dict(lr=0.02, weight_decay=0.1, decoupled_weight_decay=True), None, None),
    "radam_maximize": ("RAdam", "RAdam", dict(lr=0.02, maximize=True), None, None),
    "radam_betas": ("RAdam", "RAdam", dict(lr=0.02, betas=(0.8, 0.99), eps=0.01), None, None),
    "radam_groups": ("RAdam", "RAdam", dict(lr=0.02),
                     [(["W"], {}), (["c"], dict(lr=0.05, betas=(0.8, 0.99)))], None),
}

# name → (scheduler, kwargs); each runs 60 epochs with two groups at lr 0.1 and 0.05.
SCHEDULES = {
    "step": ("StepLR", dict(step_size=7, gamma=0.5)),
    "multistep": ("MultiStepLR", dict(milestones=[5, 12, 12, 30], gamma=0.3)),
    "exponential": ("ExponentialLR", dict(gamma=0.93)),
    "cosine": ("CosineAnnealingLR", dict(T_max=25, eta_min=0.001)),
    "cosine_no_min": ("CosineAnnealingLR", dict(T_max=10)),
    "linear": ("LinearLR", dict(start_factor=0.1, end_factor=1.0, total_iters=8)),
    "linear_decay": ("LinearLR", dict(start_factor=1.0, end_factor=0.2, total_iters=20)),
}
SCHEDULE_EPOCHS = 60
SCHEDULE_LRS = (0.1, 0.05)


def make_problem(seed=20240613):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((16, 4))
    W_true = rng.standard_normal((4, 3))
    Y = X @ W_true + 0.5 + 0.1 * rng.standard_normal((16, 3))
    return {"X": X, "Y": Y, "W0": 0.5 * rng.standard_normal((4, 3)), "c0": np.zeros(3)}


def load_problem():
    with np.load(os.path.join(FIXTURES, "problem.npz"), allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def gradients(problem, W, c, maximize=False):
    """(∂L/∂W, ∂L/∂c); with maximize, the gradient of −L (so ascent still reaches L's minimum)."""
    X, Y = problem["X"], problem["Y"]
    R = (X @ W + c - Y) / X.shape[0]
    gW, gc = X.T @ R, R.sum(axis=0)
    return (-gW, -gc) if maximize else (gW, gc)


def loss(problem, W, c):
    R = problem["X"] @ W + c - problem["Y"]
    return 0.5 * float((R * R).sum()) / R.shape[0]


def config_json(name):
    rule, torch_rule, defaults, groups, scheduler, *torch_only = CONFIGS[name]
    config = {"name": name, "rule": rule, "torch_rule": torch_rule, "defaults": defaults,
              "groups": groups, "scheduler": scheduler, "steps": STEPS, "every": EVERY}
    if torch_only:
        config["torch_only"] = torch_only[0]
    return json.dumps(config)


def run_torch(config, problem):
    """The trajectory of torch.optim on the problem: {"W": (k, 4, 3), "c": (k, 3)}."""
    import torch

    # torch keeps a rule's scalar state (every `step`, NAdam's `mu_product`) as tensors of the
    # default dtype; in float64 they hold what tinygrad_opt holds as Python numbers.
    default_dtype = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        return _run_torch(torch, config, problem)
    finally:
        torch.set_default_dtype(default_dtype)


def _run_torch(torch, config, problem):
    params = {"W": torch.tensor(problem["W0"], dtype=torch.float64, requires_grad=True),
              "c": torch.tensor(problem["c0"], dtype=torch.float64, requires_grad=True)}
    defaults = dict(config["defaults"], **config.get("torch_only", {}))
    if "betas" in defaults:
        defaults["betas"] = tuple(defaults["betas"])
    if config["groups"] is None:
        groups = [params["W"], params["c"]]
    else:
        groups = []
        for names, options in config["groups"]:
            options = dict(options)
            if "betas" in options:
                options["betas"] = tuple(options["betas"])
            groups.append({"params": [params[n] for n in names], **options})
    optimizer = getattr(torch.optim, config["torch_rule"])(groups, **defaults)
    scheduler = None
    if config["scheduler"] is not None:
        kind, kwargs = config["scheduler"]
        scheduler = getattr(torch.optim.lr_scheduler, kind)(optimizer, **kwargs)
    maximize = bool(defaults.get("maximize", False))
    trajectory = {"W": [params["W"].detach().numpy().copy()], "c": [params["c"].detach().numpy().copy()]}
    for step in range(1, config["steps"] + 1):
        gW, gc = gradients(problem, params["W"].detach().numpy(), params["c"].detach().numpy(), maximize)
        params["W"].grad = torch.from_numpy(gW.copy())
        params["c"].grad = torch.from_numpy(gc.copy())
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        if step % config["every"] == 0:
            trajectory["W"].append(params["W"].detach().numpy().copy())
            trajectory["c"].append(params["c"].detach().numpy().copy())
    return {key: np.array(value) for key, value in trajectory.items()}


def torch_schedule(kind, kwargs, epochs=SCHEDULE_EPOCHS, lrs=SCHEDULE_LRS):
    """PyTorch's learning rates (epochs+1, groups): after construction, then after each step."""
    import torch

    params = [torch.zeros(2, requires_grad=True) for _ in lrs]
    optimizer = torch.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(params, lrs)])
    scheduler = getattr(torch.optim.lr_scheduler, kind)(optimizer, **kwargs)
    rates = [list(scheduler.get_last_lr())]
    for _ in range(epochs):
        optimizer.step()
        scheduler.step()
        rates.append(list(scheduler.get_last_lr()))
    return np.array(rates, dtype=np.float64)


def main(names=None):
    """Write every fixture, or only those named (e.g. `python tests/make_optim_fixtures.py nadam radam`)."""
    import torch

    os.makedirs(FIXTURES, exist_ok=True)
    problem = make_problem()
    if names:
        unknown = sorted(set(names) - set(CONFIGS))
        if unknown:
            raise SystemExit(f"unknown fixture(s) {', '.join(unknown)}")
        problem = load_problem()
    else:
        np.savez_compressed(os.path.join(FIXTURES, "problem.npz"), **problem)
    for name in names or CONFIGS:
        config = json.loads(config_json(name))
        trajectory = run_torch(config, problem)
        steps = np.arange(0, STEPS + 1, EVERY)
        np.savez_compressed(os.path.join(FIXTURES, f"{name}.npz"), config=np.array(config_json(name)),
                            steps=steps, W=trajectory["W"], c=trajectory["c"])
        print(f"{name:30s} final loss {loss(problem, trajectory['W'][-1], trajectory['c'][-1]):.6f}")
    if names:
        return
    schedules = {name: torch_schedule(kind, kwargs) for name, (kind, kwargs) in SCHEDULES.items()}
    np.savez_compressed(os.path.join(FIXTURES, "lr_schedules.npz"),
                        config=np.array(json.dumps({"schedules": SCHEDULES, "epochs": SCHEDULE_EPOCHS,
                                                    "lrs": SCHEDULE_LRS})),
                        **schedules)
    print(f"torch {torch.__version__}: wrote {len(CONFIGS) + 2} files to {FIXTURES}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
