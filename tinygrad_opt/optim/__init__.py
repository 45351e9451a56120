"""The update rules of the lecture notes, sorted in order of increasing complexity.

    SGD        θ ← θ − η·g                                   (PyTorch's SGD, with its momentum)
    Momentum   v ← γ·v + η·g,  θ ← θ − v                     (the notes' form)
    AdaGrad    G ← G + g²,  θ ← θ − η·g / (√G + ε)           (alias Adagrad)
    RMSProp    G ← α·G + (1−α)·g²,  θ ← θ − η·g / (√G + ε)   (alias RMSprop)
    Adam       m, v moving averages of g, g²; θ ← θ − η·m̂ / (√v̂ + ε)   (and AdamW)

and the rest of S. Ruder's overview, which the notes follow:

    NAG        Momentum with the gradient taken at the look-ahead point θ − γ·v
    Adadelta   RMSProp whose step is RMS[Δθ]/RMS[g]·g, in the units of θ
    AdaMax     Adam with u = max(β2·u, |g|) in place of √v̂          (alias Adamax)
    Nadam      Adam with NAG's look-ahead momentum                   (alias NAdam)
    RAdam      Adam with its adaptive step rectified while v̂ is still noisy
    (AMSGrad is `Adam(amsgrad=True)` / `AdamW(amsgrad=True)`.)

Every rule is PyTorch's `torch.optim` up to floating-point rounding (same defaults, same order
of operations, same state names; float64 trajectories agree to ~1e-16 relative, not bitwise); where the notes write a rule differently (ε inside the root, the
momentum buffer scaled by η, RMSProp's decay 0.9 vs PyTorch's 0.99) the class docstring
gives both forms. `lr_scheduler` changes η over training as `torch.optim.lr_scheduler` does.

One notation everywhere — code comments, docstrings, the docs and the lab — the notes'
letters: θ the parameters, η the learning rate, t the step, g the gradient, ⊙ elementwise.
The state a rule keeps per parameter is stored under PyTorch's names:

    notes' letter   state name          rule
    t               step                AdaGrad, RMSProp, Adam
    v  (velocity)   velocity            Momentum (PyTorch's SGD keeps b = v/η as momentum_buffer)
    b               momentum_buffer     SGD with momentum; RMSProp with momentum
    G               sum                 AdaGrad (the running sum of g²)
    G               square_avg          RMSProp (the moving average of g²)
    ḡ               grad_avg            RMSProp, centered (the moving average of g)
    v  (velocity)   velocity            NAG (as Momentum)
    E[g²]           square_avg          Adadelta
    E[Δθ²]          acc_delta           Adadelta
    m               exp_avg             Adam, AdaMax, Nadam, RAdam (first moment)
    v               exp_avg_sq          Adam, Nadam, RAdam (second moment)
    v^max           max_exp_avg_sq      Adam, amsgrad
    u               exp_inf             AdaMax (the decaying maximum of |g|)
    Π               mu_product          Nadam (μ_1·…·μ_t)

Each rule file holds its formula, its validation, its `_init_state` and one plain numpy body;
`Optimizer` (optimizer.py) does what they share, and `effective_step_size(state, group)`
answers the per-element step a rule just took. `registry` is the one table of the rules'
names and teaching learning rates.

With numba installed (`pip install "tinygrad_opt[fast]"`) each update runs as one fused
kernel, bit-identical to the plain body in the rule's file (`kernels`: `use_kernels("numpy")`
switches back, `backend()` says which path is in use).
"""
from .optimizer import Optimizer
from .sgd import SGD
from .momentum import Momentum
from .adagrad import AdaGrad, Adagrad
from .rmsprop import RMSProp, RMSprop
from .adam import Adam, AdamW
from .nag import NAG
from .adadelta import Adadelta
from .adamax import AdaMax, Adamax
from .nadam import Nadam, NAdam
from .radam import RAdam
from . import kernels, lr_scheduler, registry

__all__ = ["Optimizer", "SGD", "Momentum", "AdaGrad", "Adagrad", "RMSProp", "RMSprop", "Adam", "AdamW",
           "NAG", "Adadelta", "AdaMax", "Adamax", "Nadam", "NAdam", "RAdam",
           "kernels", "lr_scheduler", "registry"]
