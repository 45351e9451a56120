"""SGD: step against the gradient, optionally with PyTorch's momentum buffer."""
import numpy as np

from .optimizer import Optimizer, check_nonnegative


class SGD(Optimizer):
    """Stochastic gradient descent, exactly as PyTorch's `torch.optim.SGD`.

    The notes' rule (momentum = 0):

        θ_{t+1} = θ_t − η · g_t

    With momentum μ > 0 PyTorch keeps a buffer b of *unscaled* gradients and multiplies by η
    only when stepping (the notes' `Momentum` keeps v = η·b instead, see `momentum.py`):

        b_1 = g_1                      (a copy of the first gradient: no dampening at step 1)
        b_t = μ·b_{t−1} + (1 − τ)·g_t  (τ = dampening)
        d   = g_t + μ·b_t              if nesterov, else d = b_t
        θ  ← θ − η·d

    (g after the shared opening of `Optimizer`: −g if maximize, + λ·θ if weight_decay λ ≠ 0.)

    For a constant η this is the notes' Momentum: v_t = η·b_t gives v_t = γ·v_{t−1} + η·g_t.
    When η changes (a scheduler), PyTorch's form applies the new η to the whole buffer at
    once, the notes' form only to the new gradient, so the two trajectories part.

    `SGD(params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
    maximize=False, foreach=None)`; state per parameter: `momentum_buffer` (only when momentum ≠ 0).
    """

    step_size_formula = "η"
    batches_small_parameters = False   # two numpy calls per parameter (four with momentum): see Optimizer

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach)
        super().__init__(params, defaults)

    def _check(self, group):
        check_nonnegative(group, "lr", "momentum", "weight_decay")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    def _update(self, p, g, state, group):
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        if momentum != 0:
            b = state.get("momentum_buffer")
            if b is None:
                # b_1 = g_1, a copy, and an array even for a 0-d parameter (whose −g or g + λ·θ
                # numpy makes a number, which `b *= μ` could not update in place)
                b = state["momentum_buffer"] = np.array(g)
            else:
                b *= momentum
                b += (1 - dampening) * g                            # b_t = μ·b_{t−1} + (1 − τ)·g_t
            if group["nesterov"]:
                g = g + momentum * b                                # d = g_t + μ·b_t
            else:
                g = b                                               # d = b_t
        p -= lr * g                                                 # θ ← θ − η·d

    def effective_step_size(self, state, group):
        """η, the same for every element (it multiplies d, the gradient or the momentum direction)."""
        return group["lr"]
