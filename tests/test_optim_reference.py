"""Every rule and option against PyTorch's trajectories (committed fixtures; live when torch is there).

`tests/make_optim_fixtures.py` ran torch.optim (2.13, CPU, float64) for 200 steps on a small
least-squares problem and stored the parameters every 10 steps. Here the same problem and the
same gradients drive `tinygrad_opt.optim`. PyTorch's CPU kernels use fused multiply-adds, so
the agreement is not bitwise; it is within rtol 1e-10 and 1e-12·max|θ| after 200 steps.
"""
import importlib.util
import json
import os

import numpy as np
import pytest

import tinygrad_opt as tg
from tinygrad_opt import optim
from tinygrad_opt.optim import kernels, lr_scheduler

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures", "optim")
_spec = importlib.util.spec_from_file_location("make_optim_fixtures", os.path.join(HERE, "make_optim_fixtures.py"))
fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixtures)

NAMES = sorted(fixtures.CONFIGS)
RTOL = 1e-10


def load_fixture(name):
    with np.load(os.path.join(FIXTURES, f"{name}.npz"), allow_pickle=False) as data:
        return json.loads(str(data["config"])), {key: data[key] for key in ("steps", "W", "c")}


def run_tinygrad(config, problem, rule=None):
    """Our optimizer on the fixture problem; returns {"W": (k, 4, 3), "c": (k, 3)} like the fixture."""
    params = {"W": tg.Tensor(problem["W0"], dtype=np.float64, requires_grad=True),
              "c": tg.Tensor(problem["c0"], dtype=np.float64, requires_grad=True)}
    if config["groups"] is None:
        groups = [params["W"], params["c"]]
    else:
        groups = [{"params": [params[n] for n in names], **options} for names, options in config["groups"]]
    optimizer = getattr(optim, rule or config["rule"])(groups, **config["defaults"])
    scheduler = None
    if config["scheduler"] is not None:
        kind, kwargs = config["scheduler"]
        scheduler = getattr(lr_scheduler, kind)(optimizer, **kwargs)
    maximize = bool(config["defaults"].get("maximize", False))
    trajectory = {"W": [params["W"].data.copy()], "c": [params["c"].data.copy()]}
    for step in range(1, config["steps"] + 1):
        gW, gc = fixtures.gradients(problem, params["W"].data, params["c"].data, maximize)
        params["W"].grad = tg.Tensor(gW, dtype=np.float64)
        params["c"].grad = tg.Tensor(gc, dtype=np.float64)
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        if step % config["every"] == 0:
            trajectory["W"].append(params["W"].data.copy())
            trajectory["c"].append(params["c"].data.copy())
    return {key: np.array(value) for key, value in trajectory.items()}


def assert_same_trajectory(ours, reference):
    scale = max(np.abs(reference["W"]).max(), np.abs(reference["c"]).max())
    for key in ("W", "c"):
        np.testing.assert_allclose(ours[key], reference[key], rtol=RTOL, atol=1e-12 * scale)


@pytest.fixture(scope="module")
def problem():
    return fixtures.load_problem()


def options_of(name):
    """The rule of a fixture and every option it turns on."""
    config, _ = load_fixture(name)
    options = {config["rule"]} | {key for key, value in config["defaults"].items() if value not in (0, False)}
    if config["groups"]:
        options.add("param groups")
    if config["scheduler"]:
        options.add(config["scheduler"][0])
    return options


def test_the_fixtures_cover_every_rule_and_option():
    options = set().union(*(options_of(name) for name in NAMES))
    assert {"SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "momentum", "dampening", "nesterov", "weight_decay",
            "centered", "amsgrad", "maximize", "lr_decay", "initial_accumulator_value", "alpha", "betas",
            "param groups", "StepLR", "CosineAnnealingLR",
            "NAG", "Adadelta", "Adamax", "AdaMax", "NAdam", "Nadam", "RAdam", "rho", "eps", "momentum_decay",
            "decoupled_weight_decay"} <= options
    for rule in ("NAG", "Adadelta", "AdaMax", "Nadam", "RAdam"):
        of_rule = set().union(*(options_of(name) for name in NAMES
                                if getattr(optim, load_fixture(name)[0]["rule"]) is getattr(optim, rule)))
        assert {"maximize", "weight_decay", "param groups"} <= of_rule, rule


def test_the_problem_is_the_one_the_generator_makes(problem):
    made = fixtures.make_problem()
    for key in problem:
        np.testing.assert_array_equal(problem[key], made[key])


BACKENDS = ["numpy"] + (["numba"] if importlib.util.find_spec("numba") else [])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", NAMES)
def test_matches_pytorch_fixture(name, backend, problem):
    """Both update paths: the plain bodies and (when numba is installed) the fused kernels."""
    config, reference = load_fixture(name)
    kernels.use_kernels(backend)
    try:
        ours = run_tinygrad(config, problem)
    finally:
        kernels.use_kernels("auto")
    assert ours["W"].shape == reference["W"].shape == (21, 4, 3)
    assert_same_trajectory(ours, reference)
    # and the trajectory actually went somewhere: the loss fell by more than half
    assert fixtures.loss(problem, ours["W"][-1], ours["c"][-1]) < 0.5 * fixtures.loss(problem, problem["W0"], problem["c0"])


@pytest.mark.parametrize("name", ["sgd_momentum", "sgd_nesterov", "sgd_weight_decay", "sgd_maximize"])
def test_notes_momentum_matches_pytorch_sgd_momentum_for_a_constant_lr(name, problem):
    # v = γ·v + η·g, θ ← θ − v   vs   b = μ·b + g, θ ← θ − η·b   (v = η·b while η is constant)
    config, reference = load_fixture(name)
    assert config["defaults"].get("dampening", 0) == 0
    ours = run_tinygrad(config, problem, rule="Momentum")
    assert_same_trajectory(ours, reference)


def test_lr_schedules_match_pytorch_float_for_float():
    with np.load(os.path.join(FIXTURES, "lr_schedules.npz"), allow_pickle=False) as data:
        saved = {key: data[key] for key in data.files}
    setup = json.loads(str(saved.pop("config")))
    assert set(saved) == set(fixtures.SCHEDULES)
    for name, (kind, kwargs) in setup["schedules"].items():
        params = [tg.Tensor(np.zeros(2), requires_grad=True) for _ in setup["lrs"]]
        optimizer = optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(params, setup["lrs"])])
        scheduler = getattr(lr_scheduler, kind)(optimizer, **kwargs)
        rates = [list(scheduler.get_last_lr())]
        for _ in range(setup["epochs"]):
            optimizer.step()
            scheduler.step()
            rates.append(list(scheduler.get_last_lr()))
        np.testing.assert_array_equal(np.array(rates), saved[name], err_msg=name)


# ----------------------------------------------------------------- live, when torch is importable
@pytest.mark.parametrize("name", NAMES)
def test_matches_pytorch_live(name, problem):
    pytest.importorskip("torch")
    config = json.loads(fixtures.config_json(name))
    assert_same_trajectory(run_tinygrad(config, problem), fixtures.run_torch(config, problem))


@pytest.mark.parametrize("name", sorted(fixtures.SCHEDULES))
def test_lr_schedules_match_pytorch_live(name):
    pytest.importorskip("torch")
    kind, kwargs = fixtures.SCHEDULES[name]
    params = [tg.Tensor(np.zeros(2), requires_grad=True) for _ in fixtures.SCHEDULE_LRS]
    optimizer = optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(params, fixtures.SCHEDULE_LRS)])
    scheduler = getattr(lr_scheduler, kind)(optimizer, **kwargs)
    rates = [list(scheduler.get_last_lr())]
    for _ in range(fixtures.SCHEDULE_EPOCHS):
        optimizer.step()
        scheduler.step()
        rates.append(list(scheduler.get_last_lr()))
    np.testing.assert_array_equal(np.array(rates), fixtures.torch_schedule(kind, kwargs))


def test_float32_parameters_agree_with_pytorch_float32_live(problem):
    # In float32 both do the arithmetic in float32 (Python-float hyperparameters do not promote).
    torch = pytest.importorskip("torch")
    for ours_cls, torch_cls, kwargs in [(optim.Adam, torch.optim.Adam, dict(lr=0.02, amsgrad=True)),
                                        (optim.RMSprop, torch.optim.RMSprop, dict(lr=0.01, centered=True)),
                                        (optim.SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.9)),
                                        (optim.Adagrad, torch.optim.Adagrad, dict(lr=0.1))]:
        p = tg.Tensor(problem["W0"], dtype=np.float32, requires_grad=True)
        q = torch.tensor(problem["W0"], dtype=torch.float32, requires_grad=True)
        ours, theirs = ours_cls([p], **kwargs), torch_cls([q], **kwargs)
        for _ in range(50):
            g, _ = fixtures.gradients(problem, p.data.astype(np.float64), problem["c0"])
            p.grad = tg.Tensor(g.astype(np.float32))
            q.grad = torch.from_numpy(g.astype(np.float32))
            ours.step()
            theirs.step()
        assert p.data.dtype == np.float32
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-5, atol=1e-6)
