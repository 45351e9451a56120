"""Adam (RMSProp + Momentum) and AdamW (Adam with decoupled weight decay)."""
import numpy as np

from .optimizer import Optimizer, check_nonnegative, lerp_


class Adam(Optimizer):
    """Adaptive moment estimation, exactly as PyTorch's `torch.optim.Adam`.

    The notes, and PyTorch — the same rule, with ε outside the root in both:

        m_t = β1 · m_{t−1} + (1 − β1) · g_t          (first moment, as in Momentum: `exp_avg`)
        v_t = β2 · v_{t−1} + (1 − β2) · g_t²         (second moment, as in RMSProp: `exp_avg_sq`)
        m̂_t = m_t / (1 − β1^t)                       (bias correction: m_0 = v_0 = 0 would
        v̂_t = v_t / (1 − β2^t)                        otherwise pull the first steps towards 0)
        θ_{t+1} = θ_t − η · m̂_t / (√v̂_t + ε)

    PyTorch evaluates it in this order, which this class follows so the rounding agrees
    (g after the shared opening of `Optimizer`: −g if maximize, + λ·θ if weight_decay λ ≠ 0
    — the L2 penalty; AdamW decays θ itself instead):

        θ_t ← θ_t · (1 − η·λ)                        if decoupled_weight_decay (AdamW)
        m_t = lerp(m_{t−1}, g_t, 1 − β1)              (= β1·m + (1 − β1)·g)
        v_t = β2 · v_{t−1} + (1 − β2) · g_t · g_t
        v_t^max = max(v_{t−1}^max, v_t)   and v_t^max replaces v_t below, if amsgrad
        denom = √v_t / √(1 − β2^t) + ε               (= √v̂_t + ε)
        θ_{t+1} = θ_t − (η / (1 − β1^t)) · m_t / denom

    `Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
    maximize=False, foreach=None, decoupled_weight_decay=False)`; state per parameter: `step`, `exp_avg`,
    `exp_avg_sq`, and `max_exp_avg_sq` (amsgrad). With `decoupled_weight_decay=True` it is
    `AdamW`.
    """

    step_size_formula = "η/(1−β₁ᵗ) / (√(v/(1−β₂ᵗ)) + ε)"

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 maximize=False, foreach=None, decoupled_weight_decay=False):
        defaults = dict(lr=lr, betas=_pair(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _check(self, group):
        check_adam_family(group)

    def _init_state(self, param, group):
        state = {"step": 0, "exp_avg": np.zeros_like(param), "exp_avg_sq": np.zeros_like(param)}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = np.zeros_like(param)
        return state

    def _update(self, p, g, state, group):
        lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        t, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
        if group["decoupled_weight_decay"]:
            p *= 1 - lr * wd                                        # θ ← θ·(1 − η·λ)   (AdamW)
        lerp_(m, g, 1 - beta1)                                      # m_t = β1·m_{t−1} + (1 − β1)·g_t
        v *= beta2
        v += (1 - beta2) * g * g                                    # v_t = β2·v_{t−1} + (1 − β2)·g_t²
        if group["amsgrad"]:
            v = np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])  # v_t^max
        step_size = lr / (1 - beta1 ** t)                           # η / (1 − β1^t)
        denom = np.sqrt(v) / (1 - beta2 ** t) ** 0.5 + eps          # √v̂_t + ε = √v_t / √(1 − β2^t) + ε
        p -= step_size * m / denom                                  # θ ← θ − η·m̂_t / (√v̂_t + ε)

    def effective_step_size(self, state, group):
        """η/(1 − β1^t) / (√v̂_t + ε) per element (it multiplies m_t); v = `exp_avg_sq`
        (`max_exp_avg_sq` with amsgrad)."""
        beta1, beta2 = group["betas"]
        t = state["step"]
        v = state["max_exp_avg_sq"] if group["amsgrad"] else state["exp_avg_sq"]
        return (group["lr"] / (1 - beta1 ** t)) / (np.sqrt(v) / (1 - beta2 ** t) ** 0.5 + group["eps"])


class AdamW(Adam):
    """Adam with decoupled weight decay, exactly as PyTorch's `torch.optim.AdamW`.

    Adam's `weight_decay` adds λ·θ to the gradient, so the decay is divided by √v̂ like
    everything else and weights with large gradients are barely decayed. AdamW shrinks θ
    directly, before the Adam step, by the same fraction for every weight:

        θ ← θ · (1 − η·λ)
        θ ← Adam step (m_t, v_t from g_t alone)

    `AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
    maximize=False, foreach=None)`; state as Adam's.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                         maximize=maximize, foreach=foreach, decoupled_weight_decay=True)

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True


def _pair(betas):
    try:
        first, second = betas
    except (TypeError, ValueError):
        raise ValueError(f"betas must be a pair (β1, β2), got {betas!r}") from None
    return (first, second)


def check_adam_family(group, *also):
    """PyTorch's checks of the Adam family's lr, eps, betas and weight_decay (then of the
    nonnegative hyperparameters `also`), in PyTorch's order."""
    check_nonnegative(group, "lr", "eps")
    _check_betas(group["betas"])
    check_nonnegative(group, "weight_decay", *also)


def _check_betas(betas):
    """PyTorch's ValueError for a β outside [0, 1); also run on a loaded state_dict's groups, so
    betas that are not a pair are refused there too, before anything changes."""
    for index, beta in enumerate(_pair(betas)):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {index}: {beta}")
