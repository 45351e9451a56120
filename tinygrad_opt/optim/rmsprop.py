"""RMSProp: AdaGrad with a moving average of g² instead of a sum, so the step does not vanish."""
import numpy as np

from .optimizer import Optimizer, check_nonnegative, lerp_


class RMSProp(Optimizer):
    """Root mean square propagation, exactly as PyTorch's `torch.optim.RMSprop`.

    The notes (ε inside the root, γ = 0.9 in their worked example):

        G_t     = γ · G_{t−1} + (1 − γ) · g_t²
        θ_{t+1} = θ_t − η / √(G_t + ε) ⊙ g_t

    PyTorch (and this class): the decay is called α and defaults to 0.99 (not the notes'
    0.9 — pass `alpha=0.9` for the notes' example), and ε is *outside* the root:

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
    centered=False, *, maximize=False, foreach=None)`; state per parameter: `step`, `square_avg`, and
    `momentum_buffer` (momentum > 0), `grad_avg` (centered).
    """

    step_size_formula = "η / (√G + ε)"

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, *, maximize=False, foreach=None):
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, maximize=maximize, foreach=foreach)
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

    def _update(self, p, g, state, group):
        lr, alpha, eps, momentum = group["lr"], group["alpha"], group["eps"], group["momentum"]
        G = state["square_avg"]
        G *= alpha
        G += (1 - alpha) * g * g                                    # G_t = α·G_{t−1} + (1 − α)·g_t²
        if group["centered"]:
            g_avg = lerp_(state["grad_avg"], g, 1 - alpha)          # ḡ_t = α·ḡ_{t−1} + (1 − α)·g_t
            a = np.sqrt(G - g_avg * g_avg) + eps                    # a_t = √(G_t − ḡ_t²) + ε
        else:
            a = np.sqrt(G) + eps                                    # a_t = √G_t + ε
        if momentum > 0:
            b = state["momentum_buffer"]
            b *= momentum
            b += g / a                                              # b_t = μ·b_{t−1} + g_t / a_t
            p -= lr * b                                             # θ ← θ − η·b_t
        else:
            p -= lr * g / a                                         # θ ← θ − η·g_t / a_t

    def effective_step_size(self, state, group):
        """η / (√G_t + ε) per element, G = `square_avg` (centered: √(G_t − ḡ_t²), ḡ = `grad_avg`)."""
        G = state["square_avg"]
        if group["centered"]:
            G = G - state["grad_avg"] ** 2
        return group["lr"] / (np.sqrt(G) + group["eps"])


RMSprop = RMSProp
