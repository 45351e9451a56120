"""AdaMax: Adam with the infinity norm in place of the root of the second moment."""
import numpy as np

from .adam import _pair, check_adam_family
from .optimizer import Optimizer, lerp_


class AdaMax(Optimizer):
    """AdaMax (Kingma & Ba, 2015, §7.1), exactly as PyTorch's `torch.optim.Adamax`.

    Ruder (2016, §4.7): Adam's v_t is an average of |g|²; letting the exponent go to ∞ gives
    a decaying maximum, which needs no bias correction:

        m_t     = β1 · m_{t−1} + (1 − β1) · g_t
        u_t     = max(β2 · u_{t−1}, |g_t|)
        θ_{t+1} = θ_t − η / u_t · m̂_t,      m̂_t = m_t / (1 − β1^t)

    PyTorch (and this class) add ε inside the maximum, so u never is 0:

        m_t     = lerp(m_{t−1}, g_t, 1 − β1)                    (state `exp_avg`)
        u_t     = max(β2 · u_{t−1}, |g_t| + ε)                  (state `exp_inf`)
        θ_{t+1} = θ_t − (η / (1 − β1^t)) · m_t / u_t

    (g after the shared opening of `Optimizer`: −g if maximize, + λ·θ if weight_decay λ ≠ 0.)
    The two agree where |g| ≫ ε; where every gradient so far was 0, Ruder's step is 0/0.

    `AdaMax(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, *,
    maximize=False, foreach=None)`; state per parameter: `step`, `exp_avg`, `exp_inf`.
    """

    step_size_formula = "η/(1−β₁ᵗ) / u"

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, *, maximize=False,
                 foreach=None):
        defaults = dict(lr=lr, betas=_pair(betas), eps=eps, weight_decay=weight_decay, maximize=maximize,
                        foreach=foreach)
        super().__init__(params, defaults)

    def _check(self, group):
        check_adam_family(group)

    def _init_state(self, param, group):
        return {"step": 0, "exp_avg": np.zeros_like(param), "exp_inf": np.zeros_like(param)}

    def _update(self, p, g, state, group):
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        t, m, u = state["step"], state["exp_avg"], state["exp_inf"]
        lerp_(m, g, 1 - beta1)                                      # m_t = β1·m_{t−1} + (1 − β1)·g_t
        u *= beta2
        np.maximum(u, np.abs(g) + eps, out=u)                       # u_t = max(β2·u_{t−1}, |g_t| + ε)
        p -= lr / (1 - beta1 ** t) * (m / u)                        # θ ← θ − η/(1 − β1^t) · m_t/u_t

    def effective_step_size(self, state, group):
        """η/(1 − β1^t) / u_t per element (it multiplies m_t); u = `exp_inf`."""
        beta1, _ = group["betas"]
        return group["lr"] / (1 - beta1 ** state["step"]) / state["exp_inf"]


Adamax = AdaMax
