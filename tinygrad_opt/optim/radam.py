"""RAdam: Adam that takes plain momentum steps until its second moment can be trusted."""
import numpy as np

from .adam import _pair, check_adam_family
from .optimizer import Optimizer, lerp_


class RAdam(Optimizer):
    """Rectified Adam (Liu et al., 2020), exactly as PyTorch's `torch.optim.RAdam`.

    In Adam's first steps v̂_t is an average of very few g², so its variance — and that of
    the adaptive step η/√v̂_t — is large (the reason Adam needs a warm-up). RAdam estimates
    the length ρ_t of the moving average; while it is short (ρ_t ≤ 5) it steps with the
    momentum alone, afterwards with Adam's step times a rectification r_t < 1 that shrinks the
    variance to what it will be in the long run:

        m_t = lerp(m_{t−1}, g_t, 1 − β1)                        (state `exp_avg`)
        v_t = β2 · v_{t−1} + (1 − β2) · g_t²                    (state `exp_avg_sq`)
        m̂_t = m_t / (1 − β1^t)
        ρ_∞ = 2/(1 − β2) − 1,   ρ_t = ρ_∞ − 2t·β2^t / (1 − β2^t)
        if ρ_t > 5:  r_t = √((ρ_t − 4)(ρ_t − 2)ρ_∞ / ((ρ_∞ − 4)(ρ_∞ − 2)ρ_t))
                     θ_{t+1} = θ_t − η · m̂_t · √(1 − β2^t) / (√v_t + ε) · r_t
        else:        θ_{t+1} = θ_t − η · m̂_t

    (g after the shared opening of `Optimizer`: −g if maximize, + λ·θ if weight_decay λ ≠ 0;
    with `decoupled_weight_decay=True` θ ← θ·(1 − ηλ) first instead, as AdamW does.) With the
    default β2 = 0.999 the first 5 steps are momentum steps. Ruder's overview (2016) predates
    RAdam; the rule is the paper's, in PyTorch's arithmetic (ε added to √v_t, not to √v̂_t).

    `RAdam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
    decoupled_weight_decay=False, *, maximize=False, foreach=None)`; state per parameter: `step`,
    `exp_avg`, `exp_avg_sq`.
    """

    step_size_formula = "η/(1−β₁ᵗ) · r_t·√(1−β₂ᵗ) / (√v + ε)  (η/(1−β₁ᵗ) while ρ_t ≤ 5)"

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
                 *, maximize=False, foreach=None):
        defaults = dict(lr=lr, betas=_pair(betas), eps=eps, weight_decay=weight_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize, foreach=foreach)
        super().__init__(params, defaults)

    def _check(self, group):
        check_adam_family(group)

    def _init_state(self, param, group):
        return {"step": 0, "exp_avg": np.zeros_like(param), "exp_avg_sq": np.zeros_like(param)}

    def _update(self, p, g, state, group):
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        t, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
        if group["decoupled_weight_decay"]:
            p *= 1 - lr * group["weight_decay"]                    # θ ← θ·(1 − η·λ)
        lerp_(m, g, 1 - beta1)                                      # m_t = β1·m_{t−1} + (1 − β1)·g_t
        v *= beta2
        v += (1 - beta2) * g * g                                    # v_t = β2·v_{t−1} + (1 − β2)·g_t²
        m_hat = m / (1 - beta1 ** t)                                # m̂_t
        rect = _rectification(t, beta2)                             # r_t, or None while ρ_t ≤ 5
        if rect is None:
            p -= m_hat * lr                                         # θ ← θ − η·m̂_t
        else:
            adaptive = (1 - beta2 ** t) ** 0.5 / (np.sqrt(v) + eps)  # √(1 − β2^t) / (√v_t + ε)
            p -= m_hat * lr * adaptive * rect                       # θ ← θ − η·m̂_t·√(1 − β2^t)/(√v_t + ε)·r_t

    def effective_step_size(self, state, group):
        """η/(1 − β1^t) · r_t·√(1 − β2^t)/(√v_t + ε) per element (it multiplies m_t), or
        η/(1 − β1^t) while ρ_t ≤ 5; v = `exp_avg_sq`."""
        beta1, beta2 = group["betas"]
        t = state["step"]
        step_size = group["lr"] / (1 - beta1 ** t)
        rect = _rectification(t, beta2)
        if rect is None:
            return step_size
        return step_size * ((1 - beta2 ** t) ** 0.5 / (np.sqrt(state["exp_avg_sq"]) + group["eps"])) * rect


def _rectification(t, beta2):
    """r_t = √((ρ_t − 4)(ρ_t − 2)ρ_∞ / ((ρ_∞ − 4)(ρ_∞ − 2)ρ_t)), or None while ρ_t ≤ 5."""
    rho_inf = 2 / (1 - beta2) - 1                                   # ρ_∞
    rho_t = rho_inf - 2 * t * (beta2 ** t) / (1 - beta2 ** t)       # ρ_t
    if rho_t <= 5.0:
        return None
    return ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
