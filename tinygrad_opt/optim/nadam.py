"""Nadam: Adam whose momentum looks ahead, as NAG's does (Nesterov-accelerated Adam)."""
import numpy as np

from .adam import _pair, check_adam_family
from .optimizer import Optimizer, lerp_


class Nadam(Optimizer):
    """Nadam (Dozat, 2016), exactly as PyTorch's `torch.optim.NAdam`.

    Ruder (2016, §4.8): in Adam's step θ − η·m̂_t/(√v̂_t + ε), expand m̂_t = β1·m̂_{t−1} +
    (1 − β1)·g_t/(1 − β1^t) and, as NAG does, use this step's momentum m̂_t in place of the
    previous one:

        θ_{t+1} = θ_t − η / (√v̂_t + ε) · (β1·m̂_t + (1 − β1)·g_t / (1 − β1^t))

    PyTorch (and this class) follow Dozat's paper, whose momentum coefficient grows over
    training by the schedule μ_t = β1·(1 − ½·0.96^(t·ψ)) (ψ = momentum_decay), with the
    product Π_t = μ_1·…·μ_t standing in for β1^t:

        μ_t = β1·(1 − ½·0.96^(tψ)),   μ_{t+1} = β1·(1 − ½·0.96^((t+1)ψ))
        Π_t = Π_{t−1} · μ_t                                     (state `mu_product`, Π_0 = 1)
        m_t = lerp(m_{t−1}, g_t, 1 − β1)                        (state `exp_avg`)
        v_t = β2 · v_{t−1} + (1 − β2) · g_t²                    (state `exp_avg_sq`)
        d_t = √(v_t / (1 − β2^t)) + ε                           (= √v̂_t + ε)
        θ_{t+1} = θ_t − η(1 − μ_t)/(1 − Π_t) · g_t/d_t − η·μ_{t+1}/(1 − Π_t·μ_{t+1}) · m_t/d_t

    (g after the shared opening of `Optimizer`: −g if maximize, + λ·θ if weight_decay λ ≠ 0;
    with `decoupled_weight_decay=True` θ ← θ·(1 − ηλ) first instead, as AdamW does.)
    With a constant μ = β1 the two forms are the same rule; PyTorch's schedule starts at
    μ_1 ≈ 0.5·β1 and only approaches β1 after thousands of steps (ψ = 0.004), so early on
    its momentum is much weaker than Ruder's.

    `Nadam(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
    momentum_decay=4e-3, decoupled_weight_decay=False, *, maximize=False, foreach=None)`; state per
    parameter: `step`, `mu_product`, `exp_avg`, `exp_avg_sq`.
    """

    step_size_formula = "η / (√(v/(1−β₂ᵗ)) + ε)"

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, maximize=False, foreach=None):
        defaults = dict(lr=lr, betas=_pair(betas), eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
                        maximize=maximize, foreach=foreach)
        super().__init__(params, defaults)

    def _check(self, group):
        check_adam_family(group, "momentum_decay")

    def _init_state(self, param, group):
        return {"step": 0, "mu_product": 1.0, "exp_avg": np.zeros_like(param), "exp_avg_sq": np.zeros_like(param)}

    def _update(self, p, g, state, group):
        lr, (beta1, beta2), eps, psi = group["lr"], group["betas"], group["eps"], group["momentum_decay"]
        t, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
        if group["decoupled_weight_decay"]:
            p *= 1 - lr * group["weight_decay"]                    # θ ← θ·(1 − η·λ)
        mu, mu_next = _momentum(t, beta1, psi), _momentum(t + 1, beta1, psi)   # μ_t, μ_{t+1}
        state["mu_product"] *= mu                                   # Π_t = Π_{t−1}·μ_t
        mu_product = state["mu_product"]
        lerp_(m, g, 1 - beta1)                                      # m_t = β1·m_{t−1} + (1 − β1)·g_t
        v *= beta2
        v += (1 - beta2) * g * g                                    # v_t = β2·v_{t−1} + (1 − β2)·g_t²
        d = np.sqrt(v / (1 - beta2 ** t)) + eps                     # d_t = √v̂_t + ε
        p -= lr * (1.0 - mu) / (1.0 - mu_product) * (g / d)         # θ ← θ − η(1 − μ_t)/(1 − Π_t) · g_t/d_t
        p -= lr * mu_next / (1.0 - mu_product * mu_next) * (m / d)  #       − η·μ_{t+1}/(1 − Π_{t+1}) · m_t/d_t

    def effective_step_size(self, state, group):
        """η / (√v̂_t + ε) per element, v = `exp_avg_sq`; it multiplies the Nesterov direction
        (1 − μ_t)/(1 − Π_t)·g_t + μ_{t+1}/(1 − Π_{t+1})·m_t."""
        _, beta2 = group["betas"]
        return group["lr"] / (np.sqrt(state["exp_avg_sq"] / (1 - beta2 ** state["step"])) + group["eps"])


def _momentum(t, beta1, psi):
    """μ_t = β1·(1 − ½·0.96^(t·ψ)): the momentum schedule (ψ = momentum_decay)."""
    return beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))


NAdam = Nadam
