"""Adam (RMSProp + Momentum) and AdamW (Adam with decoupled weight decay)."""
import numpy as np

from . import kernels
from .optimizer import Optimizer, blocks, check_nonnegative
from .rmsprop import _lerp


class Adam(Optimizer):
    """Adaptive moment estimation, exactly as PyTorch's `torch.optim.Adam`.

    The notes, and PyTorch — the same rule, with ε outside the root in both:

        m_t = β1 · m_{t−1} + (1 − β1) · g_t          (first moment, as in Momentum: `exp_avg`)
        v_t = β2 · v_{t−1} + (1 − β2) · g_t²         (second moment, as in RMSProp: `exp_avg_sq`)
        m̂_t = m_t / (1 − β1^t)                       (bias correction: m_0 = v_0 = 0 would
        v̂_t = v_t / (1 − β2^t)                        otherwise pull the first steps towards 0)
        θ_{t+1} = θ_t − η · m̂_t / (√v̂_t + ε)

    PyTorch evaluates it in this order, which this class follows so the rounding agrees:

        g ← −g                   if maximize
        g ← g + λ·θ              if weight_decay λ ≠ 0 (L2 penalty; AdamW decays θ instead)
        m_t = lerp(m_{t−1}, g_t, 1 − β1)              (= β1·m + (1 − β1)·g)
        v_t = β2 · v_{t−1} + (1 − β2) · g_t · g_t
        v_t^max = max(v_{t−1}^max, v_t)   and v_t^max replaces v_t below, if amsgrad
        denom = √v_t / √(1 − β2^t) + ε               (= √v̂_t + ε)
        θ_{t+1} = θ_t − (η / (1 − β1^t)) · m_t / denom

    `Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
    maximize=False, decoupled_weight_decay=False)`; state per parameter: `step`, `exp_avg`,
    `exp_avg_sq`, and `max_exp_avg_sq` (amsgrad). With `decoupled_weight_decay=True` it is
    `AdamW`.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 maximize=False, decoupled_weight_decay=False):
        defaults = dict(lr=lr, betas=_pair(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _check(self, group):
        betas = group["betas"]
        check_nonnegative(group, "lr", "eps")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        check_nonnegative(group, "weight_decay")

    def _init_state(self, param, group):
        state = {"step": 0, "exp_avg": np.zeros_like(param), "exp_avg_sq": np.zeros_like(param)}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = np.zeros_like(param)
        return state

    def _update(self, param, grad, state, group):
        lr, eps, wd = float(group["lr"]), float(group["eps"]), float(group["weight_decay"])
        beta1, beta2 = (float(b) for b in group["betas"])
        amsgrad, maximize, decoupled = group["amsgrad"], group["maximize"], group["decoupled_weight_decay"]

        state["step"] += 1
        t = state["step"]
        bias_correction1 = 1 - beta1 ** t                           # 1 − β1^t
        bias_correction2 = 1 - beta2 ** t                           # 1 − β2^t
        step_size = lr / bias_correction1                           # η / (1 − β1^t)
        bias_correction2_sqrt = bias_correction2 ** 0.5             # √(1 − β2^t)
        kernel = kernels.kernel_for("adam", param, grad, state["exp_avg"], state["exp_avg_sq"],
                                    *([state["max_exp_avg_sq"]] if amsgrad else []))
        if kernel is not None:
            flags = (maximize and kernels.MAXIMIZE) | (wd != 0 and kernels.WEIGHT_DECAY) | (
                decoupled and kernels.DECOUPLED) | (amsgrad and kernels.AMSGRAD) | (
                abs(1 - beta1) < 0.5 and kernels.LERP_SMALL)
            kernel(param, grad, state["exp_avg"], state["exp_avg_sq"],
                   state["max_exp_avg_sq"] if amsgrad else state["exp_avg_sq"],
                   kernels.constants(param.dtype, 1 - beta1, 1 - (1 - beta1), beta2, 1 - beta2, step_size,
                                     bias_correction2_sqrt, eps, wd, 1 - lr * wd), flags)
            return
        work, denom = self._scratch(param, 2)
        for p, grad, m, v, v_max, work, denom in blocks(param, grad, state["exp_avg"], state["exp_avg_sq"],
                                                        state.get("max_exp_avg_sq"), work, denom):
            g = grad
            if maximize:
                g = np.negative(grad, out=work)                     # g ← −g
            if wd != 0:
                if decoupled:
                    p *= 1 - lr * wd                                # θ ← θ·(1 − ηλ)   (AdamW)
                else:
                    g = np.add(g, np.multiply(p, wd, out=denom), out=work)  # g ← g + λ·θ

            _lerp(m, g, 1 - beta1, denom)                           # m_t = β1·m + (1−β1)·g
            v *= beta2
            v += np.multiply(np.multiply(g, 1 - beta2, out=denom), g, out=denom)  # v_t = β2·v + (1−β2)·g²
            if amsgrad:
                v = np.maximum(v_max, v, out=v_max)                 # v_t^max = max(v_{t−1}^max, v_t)

            np.sqrt(v, out=denom)
            denom /= bias_correction2_sqrt
            denom += eps                                            # √v̂_t + ε
            p -= np.divide(np.multiply(m, step_size, out=work), denom, out=work)  # θ ← θ − η·m̂_t/(√v̂_t + ε)


class AdamW(Adam):
    """Adam with decoupled weight decay, exactly as PyTorch's `torch.optim.AdamW`.

    Adam's `weight_decay` adds λ·θ to the gradient, so the decay is divided by √v̂ like
    everything else and weights with large gradients are barely decayed. AdamW shrinks θ
    directly, before the Adam step, by the same fraction for every weight:

        θ ← θ · (1 − η·λ)
        θ ← Adam step (m_t, v_t from g_t alone)

    `AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
    maximize=False)`; state as Adam's.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                         maximize=maximize, decoupled_weight_decay=True)

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
