"""RMSProp: AdaGrad with a moving average of g² instead of a sum, so the step does not vanish."""
import numpy as np

from . import kernels
from .optimizer import Optimizer, blocks, check_nonnegative


class RMSProp(Optimizer):
    """Root mean square propagation, exactly as PyTorch's `torch.optim.RMSprop`.

    The notes (ε inside the root, γ = 0.9 in their worked example):

        G_t     = γ · G_{t−1} + (1 − γ) · g_t²
        θ_{t+1} = θ_t − η / √(G_t + ε) ⊙ g_t

    PyTorch (and this class): the decay is called α and defaults to 0.99 (not the notes'
    0.9 — pass `alpha=0.9` for the notes' example), and ε is *outside* the root:

        g ← −g                              if maximize
        g ← g + λ·θ                         if weight_decay λ ≠ 0
        G_t  = α · G_{t−1} + (1 − α) · g_t²              (state `square_avg`, G_0 = 0)
        a_t  = √G_t + ε
             = √(G_t − ḡ_t²) + ε  if centered, where ḡ_t = lerp(ḡ_{t−1}, g_t, 1 − α)
                                  (state `grad_avg`: a running mean of g, so G − ḡ² estimates
                                  the variance)
        θ_{t+1} = θ_t − η · g_t / a_t                    if momentum μ = 0
        b_t = μ · b_{t−1} + g_t / a_t,  θ_{t+1} = θ_t − η · b_t   otherwise (b_0 = 0,
                                  state `momentum_buffer`)

    Inside or outside matters only where G_t is comparable to ε, i.e. for small gradients:
    on the first step (G_1 = (1 − α)g²) with g = 1e-4, α = 0.9, ε = 1e-8, the notes' step is
    g/√(1e-9 + 1e-8) = 0.95·η while PyTorch's is g/(√1e-9 + 1e-8) = 3.16·η. With ε = 0 both
    are g/√G and agree.

    `RMSProp(params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
    centered=False, *, maximize=False)`; state per parameter: `step`, `square_avg`, and
    `momentum_buffer` (momentum > 0), `grad_avg` (centered).
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, *, maximize=False):
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check(self, group):
        check_nonnegative(group, "lr", "eps", "momentum", "weight_decay", "alpha")

    def _init_state(self, param, group):
        state = {"step": 0, "square_avg": np.zeros_like(param)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = np.zeros_like(param)
        if group["centered"]:
            state["grad_avg"] = np.zeros_like(param)
        return state

    def _update(self, param, grad, state, group):
        lr, alpha, eps = float(group["lr"]), float(group["alpha"]), float(group["eps"])
        mu, wd = float(group["momentum"]), float(group["weight_decay"])
        centered, maximize = group["centered"], group["maximize"]

        state["step"] += 1
        kernel = kernels.kernel_for("rmsprop", param, grad, state["square_avg"], *(
            state[k] for k in ("grad_avg", "momentum_buffer") if k in state))
        if kernel is not None:
            flags = (maximize and kernels.MAXIMIZE) | (wd != 0 and kernels.WEIGHT_DECAY) | (
                centered and kernels.CENTERED) | (mu > 0 and kernels.MOMENTUM) | (
                abs(1 - alpha) < 0.5 and kernels.LERP_SMALL)
            unused = state["square_avg"]  # stands in for a buffer this configuration doesn't have
            kernel(param, grad, state["square_avg"], state.get("grad_avg", unused),
                   state.get("momentum_buffer", unused),
                   kernels.constants(param.dtype, lr, alpha, 1 - alpha, 1 - (1 - alpha), eps, mu, wd), flags)
            return
        work, avg = self._scratch(param, 2)
        for p, grad, G, g_avg, b, work, avg in blocks(param, grad, state["square_avg"], state.get("grad_avg"),
                                                      state.get("momentum_buffer"), work, avg):
            g = grad
            if maximize:
                g = np.negative(grad, out=work)                     # g ← −g
            if wd != 0:
                g = np.add(g, np.multiply(p, wd, out=avg), out=work)  # g ← g + λ·θ

            G *= alpha
            G += np.multiply(np.multiply(g, 1 - alpha, out=avg), g, out=avg)  # G_t = α·G_{t−1} + (1−α)·g²
            if centered:
                _lerp(g_avg, g, 1 - alpha, avg)                     # ḡ_t = lerp(ḡ_{t−1}, g_t, 1−α)
                np.multiply(g_avg, g_avg, out=avg)
                np.subtract(G, avg, out=avg)                        # G_t − ḡ_t²
                np.sqrt(avg, out=avg)
            else:
                np.sqrt(G, out=avg)
            avg += eps                                              # a_t = √G_t + ε

            if mu > 0:
                b *= mu
                b += np.divide(g, avg, out=avg)                     # b_t = μ·b_{t−1} + g_t / a_t
                p -= np.multiply(b, lr, out=avg)                    # θ ← θ − η·b_t
            else:
                p -= np.divide(np.multiply(g, lr, out=work), avg, out=work)  # θ ← θ − η·g_t / a_t


def _lerp(start, end, weight, tmp):
    """start ← start + weight·(end − start), in place, evaluated as PyTorch's `lerp_` does.

    For |weight| < 0.5: start + weight·(end − start); otherwise end − (end − start)·(1 − weight)
    (the form that rounds better when the weight is close to 1).
    """
    diff = np.subtract(end, start, out=tmp)
    if abs(weight) < 0.5:
        start += np.multiply(diff, weight, out=tmp)
    else:
        np.subtract(end, np.multiply(diff, 1 - weight, out=tmp), out=start)
    return start


RMSprop = RMSProp
