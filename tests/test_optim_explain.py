"""optimizer.explain(param): the rule's equations with the numbers, and Δθ is the step really taken."""
import numpy as np
import pytest

from tinygrad_opt import Tensor
from tinygrad_opt.cli import main
from tinygrad_opt.optim import SGD, Adam, Momentum, kernels, registry

from rule_configs import CASES


def _param(values):
    return Tensor(np.array(values, dtype=np.float64), requires_grad=True, dtype="float64")


def test_adam_first_step_written_out():
    # g = −0.5: m₁ = 0.1·(−0.5) = −0.05, v₁ = 0.001·0.25 = 0.00025, m̂ = −0.5, v̂ = 0.25,
    # Δθ = −0.1·(−0.5)/(0.5 + 1e−8) ≈ 0.1
    w = _param([1.0, 2.0])
    optimizer = Adam([w], lr=0.1)
    w.grad = Tensor(np.array([-0.5, 0.25]), dtype="float64")
    explanation = optimizer.explain(w, elements=0)
    lines = str(explanation).splitlines()
    assert lines[0] == ("Adam, step t = 1, parameter group 0, param 0 (2) "
                        "(η = 0.1, β₁ = 0.9, β₂ = 0.999, ε = 1e−8)")
    assert lines[1:] == [
        "element [0]:",
        "  g_t = ∇J(θ_t) = −0.5",
        "  m_t = β₁·m_{t−1} + (1 − β₁)·g_t = 0.9·0 + 0.1·(−0.5) = −0.05",
        "  v_t = β₂·v_{t−1} + (1 − β₂)·g_t² = 0.999·0 + 0.001·(−0.5)² = 0.00025",
        "  m̂_t = m_t / (1 − β₁^t) = −0.05 / 0.1 = −0.5",
        "  v̂_t = v_t / (1 − β₂^t) = 0.00025 / 0.001 = 0.25",
        "  Δθ = −η·m̂_t / (√v̂_t + ε) = −0.1·(−0.5) / (√0.25 + 1e−8) = 0.1",
        "  θ_{t+1} = θ_t + Δθ = 1 + 0.1 = 1.1",
    ]
    assert explanation.at(0)["m"] == pytest.approx(-0.05)
    assert set(explanation) >= {"grad", "g", "m", "v", "m_hat", "v_hat", "delta", "theta", "theta_next"}


def test_momentum_notes_form_and_sgd_first_buffer():
    w = _param([0.0])
    optimizer = Momentum([w], lr=0.1, momentum=0.9)
    for g in (1.0, 1.0):
        w.grad = Tensor(np.array([g]), dtype="float64")
        text = str(optimizer.explain(w))
        optimizer.step()
    # second step: v₂ = 0.9·0.1 + 0.1·1 = 0.19
    assert "v_t = γ·v_{t−1} + η·g_t = 0.9·0.1 + 0.1·1 = 0.19" in text
    sgd = SGD([w], lr=0.1, momentum=0.9)
    w.grad = Tensor(np.array([2.0]), dtype="float64")
    assert "b_t = g_t = 2" in str(sgd.explain(w))          # PyTorch's b₁ = g₁, not μ·0 + g₁


def test_markdown_and_latex_are_maths():
    w = _param([[1.0, 2.0], [3.0, 4.0]])
    optimizer = Adam([w], lr=0.1, amsgrad=True)
    w.grad = Tensor(np.ones((2, 2)), dtype="float64")
    explanation = optimizer.explain(w, elements=[(0, 1), 3])
    latex = explanation._repr_latex_()
    assert latex.count("\\begin{aligned}") == 2
    assert "m_{t} &= \\beta_1 \\cdot m_{t-1} + (1 - \\beta_1) \\cdot g_t" in latex
    assert "\\frac{" in latex and "None" not in latex
    markdown = explanation._repr_markdown_()
    assert "element (0, 1):" in markdown and "element (1, 1):" in markdown
    assert markdown.count("$$\\begin{aligned}") == 2


def test_explain_refuses_clearly_and_changes_nothing():
    w, other = _param([1.0]), _param([1.0])
    optimizer = Adam([w])
    with pytest.raises(ValueError, match="no gradient"):
        optimizer.explain(w)
    with pytest.raises(ValueError, match="not one of the optimizer's parameters"):
        optimizer.explain(other)
    w.grad = Tensor(np.array([1.0]), dtype="float64")
    with pytest.raises(IndexError, match="out of range"):
        optimizer.explain(w, elements=5)
    optimizer.explain(w)
    assert w.data[0] == 1.0 and not optimizer.state.get(w)




@pytest.mark.parametrize("backend", ["numpy", "auto"])
@pytest.mark.parametrize("name, config", CASES, ids=[f"{n}-{'-'.join(c) or 'defaults'}" for n, c in CASES])
def test_explained_step_is_the_step_taken(name, config, backend):
    """Over 30 random steps: Δθ explained = θ_after − θ_before (1e−12 relative to the step, float64),
    every explained buffer = the optimizer's buffer after the step, and explaining changes nothing."""
    rng = np.random.default_rng(sum(map(ord, name)) + len(config))
    lr = {"adadelta": 1.0}.get(name, 0.05)
    w = _param(np.zeros((3, 4)))
    optimizer = registry.get(name).cls([w], lr=lr, **config)
    describe = __import__("tinygrad_opt.optim.equations", fromlist=["describe_for"]).describe_for(type(optimizer))
    previous = kernels._mode
    kernels.use_kernels(backend)
    try:
        for _ in range(30):
            w.grad = Tensor(rng.normal(size=(3, 4)) * rng.choice([1e-3, 1.0, 10.0]), dtype="float64")
            # θ of the step's own size, so θ_after − θ_before measures the step to ~1e-16 (a θ much
            # larger than Δθ would lose Δθ's last digits in the subtraction); the state never reads θ.
            w.data[...] = 0
            w.data[...] = rng.normal(size=(3, 4)) * np.abs(optimizer.explain(w)["delta"]).max()
            before = w.data.copy()
            state_before = {k: (v.copy() if isinstance(v, np.ndarray) else v)
                            for k, v in optimizer.state.get(w, {}).items()}
            explanation = optimizer.explain(w)
            np.testing.assert_array_equal(w.data, before)
            for key, value in optimizer.state.get(w, {}).items():
                np.testing.assert_array_equal(value, state_before[key])
            optimizer.step()
            applied = w.data - before
            np.testing.assert_allclose(explanation["delta"], applied, rtol=1e-12,
                                       atol=1e-12 * np.abs(applied).max())
            np.testing.assert_allclose(explanation["theta_next"], w.data, rtol=1e-12,
                                       atol=1e-12 * np.abs(w.data).max())
            spec = describe(optimizer.param_groups[0], optimizer.state[w], optimizer.state[w].get("step", 0))
            for letter, key in spec.state.items():
                np.testing.assert_allclose(explanation[letter], optimizer.state[w][key], rtol=1e-12,
                                           atol=1e-12 * np.abs(optimizer.state[w][key]).max())
    finally:
        kernels.use_kernels(previous)


def test_every_registered_rule_has_equations():
    from tinygrad_opt.optim.equations import describe_for
    missing = [rule.name for rule in registry.RULES.values() if describe_for(rule.cls) is None]
    assert missing == []


def test_command_explains_steps_on_the_mlp(capsys):
    assert main(["explain", "--optimizer", "rmsprop", "--steps", "2", "--hidden", "8", "--weights", "1"]) == 0
    out = capsys.readouterr().out
    assert "--- step 2: loss on this batch of 32" in out
    assert "RMSProp, step t = 2, parameter '0.weight' (8×64)" in out
    assert "G_t = γ·G_{t−1} + (1 − γ)·g_t² = 0.99·" in out
    assert out.count("Δθ = −η·g_t / a_t = ") == 2


def test_command_names_a_wrong_parameter(capsys):
    assert main(["explain", "--param", "9.weight", "--hidden", "8"]) == 2
    assert "--param '9.weight': the MLP has no such parameter (choose from 0.weight, 0.bias" in \
        capsys.readouterr().err
