"""Fused update kernels: each rule's whole update in one pass over memory (optional, numba).

The plain numpy body of a rule makes one pass over the arrays per line of its formula (Adam:
about ten), so for large parameters the time goes into streaming memory, and for small ones
into the per-call overhead of each numpy operation. A kernel here performs, element by
element, *exactly* the operations of the body in the same order and the same precision (every
constant is passed in the array's dtype, no fused multiply-add), so its results are
bit-identical to the plain body (and large arrays can be split across CPU cores:
`PARALLEL_THRESHOLD`).

Everything about the fast path lives in this module: `Optimizer.step()` asks
`fused_update_for(rule)` once, and calls the answer (when there is one) with a parameter, its
gradient, its state (t already advanced) and its group's hyperparameters; the fused update
reads them, packs the options into flags and the scalars into one array, and runs the
kernel, or returns False when no kernel applies (the step then runs the plain body). The rule
files know nothing of it.

The kernels need numba (`pip install "tinygrad_opt[fast]"`). Without it, or with
`TINYGRAD_OPT_KERNELS=numpy` in the environment, or after `use_kernels("numpy")`, every rule
runs its plain numpy body, which is always available and always tested.

When they are used ("auto", the default): numba costs about 0.35 s per process to load the
compiled kernels from its cache (1.7 s to compile them the first time), which a short run on
small parameters never wins back — the digits MLP's whole Adam step on numpy costs tens of
microseconds. So in "auto" numba is not touched until a parameter of at least
`AUTO_THRESHOLD` numbers is stepped (there a kernel saves milliseconds per step); then the
kernels load in a background thread while the steps go on with the plain bodies, and every
step after the load uses them. `use_kernels("numba")` (or TINYGRAD_OPT_KERNELS=numba) loads
them at once and uses them for every parameter.
"""
import importlib.util
import os
import threading

import numpy as np

_MODES = ("auto", "numba", "numpy")
_mode = os.environ.get("TINYGRAD_OPT_KERNELS", "auto").strip().lower() or "auto"
if _mode not in _MODES:
    raise ValueError(f"TINYGRAD_OPT_KERNELS must be one of {', '.join(_MODES)}, got {_mode!r}")
# The compiled kernels once numba has been imported; False when it can't be (known at once
# when numba is not installed, so steps without it never ask for a kernel).
_compiled = None if importlib.util.find_spec("numba") is not None else False

# Arrays at least this long are split across cores; None (the default): never. In training a
# step follows the backward's matmuls, whose OpenBLAS threads go on spinning for a while after
# each one, and a parallel loop's second thread then waits for the spinning one's core: on 2
# cores the 784-1024-1024-10 step's update took 1.65 ms split against 1.0 ms serial (SGD;
# Adam 2.7 against 2.0). Alone, away from any matmul, the split loop is 1.7-1.8x faster, so
# a program that steps without matmuls in between can set e.g. `1 << 19`; below that, waking
# the threads costs more than it saves.
PARALLEL_THRESHOLD = None
# "auto" starts loading numba for the first parameter at least this large (see the docstring).
AUTO_THRESHOLD = 1 << 16
_load_lock = threading.Lock()      # held while numba loads
_start_lock = threading.Lock()     # so only one background load starts
_loader = None                     # the background thread loading the kernels, once started


def use_kernels(mode):
    """Choose the update path: "auto" (numba when installed), "numba" (required) or "numpy"."""
    global _mode
    if mode not in _MODES:
        raise ValueError(f"use_kernels: mode must be one of {', '.join(_MODES)}, got {mode!r}")
    if mode == "numba" and not _load():
        raise ImportError('the numba kernels need numba: pip install "tinygrad_opt[fast]"')
    _mode = mode


def backend():
    """"numba" when updates run through the fused kernels, else "numpy"."""
    return "numba" if _mode != "numpy" and _load() else "numpy"


def may_apply():
    """False when no kernel can run (the numpy path was chosen, or numba is missing)."""
    return _mode != "numpy" and _compiled is not False


def loaded():
    """True when the compiled kernels are in use: then every parameter's update is one call."""
    return _mode != "numpy" and bool(_compiled)


def fused_update_for(rule):
    """The fused update of an optimizer class, or None (the class's own body then always runs).

    Found by the class that defines the body (`_update`), so `AdamW` uses Adam's, and a
    subclass that writes its own body never gets a kernel that would skip it.
    """
    owner = next((cls for cls in rule.__mro__ if "_update" in vars(cls)), None)
    if owner is None:
        return None
    return _FUSED.get(f"{owner.__module__}.{owner.__qualname__}")


def kernel_for(name, *arrays):
    """The compiled kernel `name` suited to these arrays, or None to use the plain body.

    Kernels apply when every array is C-contiguous float32/float64 of one dtype (anything else
    falls back to numpy); they walk the arrays as flat sequences of numbers.
    """
    if _mode == "numpy":
        return None
    if _mode == "auto" and not _compiled:
        if _compiled is None and arrays[0].size >= AUTO_THRESHOLD:
            _load_in_background()
        return None
    if not _load():
        return None
    dtype = arrays[0].dtype
    if dtype != np.float32 and dtype != np.float64:
        return None
    for array in arrays:
        if array.dtype != dtype or not array.flags.c_contiguous:
            return None
    serial, parallel = _compiled[name]
    if PARALLEL_THRESHOLD is not None and arrays[0].size >= PARALLEL_THRESHOLD:
        return parallel
    return serial


def _load_in_background():
    global _loader
    with _start_lock:
        if _loader is None:
            # A daemon: a run that ends before the load does not wait for it.
            _loader = threading.Thread(target=_load, name="tinygrad_opt kernels", daemon=True)
            _loader.start()


def _load():
    global _compiled
    with _load_lock:
        if _compiled is None:
            _compiled = _import_and_compile()
    return bool(_compiled)


def _import_and_compile():
    """The compiled kernels, or False when numba is not installed."""
    try:
        import numba
    except ImportError:
        return False
    # GNU OpenMP's idle workers spin for a long while after a parallel loop, and on a
    # machine with few cores they then fight OpenBLAS's threads during the next matmul (a
    # 784-256-128-10 training step went from 1.3 ms to 10 ms on 2 cores). A short spin
    # keeps the loops fast and lets the workers sleep before the matmul starts. Read when
    # numba first loads its OpenMP runtime, i.e. after this point; a value the user set wins.
    os.environ.setdefault("GOMP_SPINCOUNT", "10000")
    return _compile(numba)


# Flags: which options of a rule are on (one int, so a call passes few arguments: numba's
# dispatcher costs about 0.15 µs per argument, which matters for small parameters).
MAXIMIZE, WEIGHT_DECAY, NESTEROV, MOMENTUM, FIRST_STEP, DAMPENED, CENTERED, DECOUPLED, AMSGRAD, LERP_SMALL, RECTIFIED = (
    1 << i for i in range(11))

_last_constants = {}


def constants(dtype, *values):
    """The rule's scalars as one array of the parameters' dtype (reused while they repeat).

    Casting each Python float to the dtype here is what numpy does to a Python scalar in
    `array * scalar`, so the kernels compute with the same constants as the plain bodies.
    """
    key = (dtype, values)
    last = _last_constants.get(len(values))
    if last is not None and last[0] == key:
        return last[1]
    array = np.array(values, dtype=dtype)
    _last_constants[len(values)] = (key, array)
    return array


# ---------------------------------------------------------------------------------------------
# The kernels. Each walks its C-contiguous arrays as flat views (`ravel`). Scalars arrive in
# `c`, an array of the parameters' dtype; the loops use no literal constants (a Python literal
# would make numba compute in float64). The flags select the options exactly as the `if`s of
# the plain bodies do. At most three arrays are unpacked per statement: with four
# (`a, b, c, d = a.ravel(), ...`) numba 0.68's parallel loop silently gave wrong results.

def _sgd(p, g, buf, c, flags):
    lr, wd, mu, one_minus_dampening = c[0], c[1], c[2], c[3]
    maximize, has_wd, nesterov = flags & MAXIMIZE, flags & WEIGHT_DECAY, flags & NESTEROV
    has_momentum, first, dampened = flags & MOMENTUM, flags & FIRST_STEP, flags & DAMPENED
    p, g, buf = p.ravel(), g.ravel(), buf.ravel()
    for i in prange(p.size):
        gi = _direction(g[i], p[i], wd, maximize, has_wd)
        if has_momentum:
            if first:
                b = gi                                 # b_1 = g_1
            elif dampened:
                b = buf[i] * mu + gi * one_minus_dampening  # b_t = μ·b + (1 − τ)·g
            else:
                b = buf[i] * mu + gi                   # b_t = μ·b + g
            buf[i] = b
            if nesterov:
                gi = gi + b * mu                       # d = g + μ·b
            else:
                gi = b
        p[i] = p[i] - gi * lr                          # θ ← θ − η·d


def _momentum(p, g, v, c, flags):
    lr, gamma, wd = c[0], c[1], c[2]
    maximize, has_wd, nesterov = flags & MAXIMIZE, flags & WEIGHT_DECAY, flags & NESTEROV
    p, g, v = p.ravel(), g.ravel(), v.ravel()
    for i in prange(p.size):
        gi = _direction(g[i], p[i], wd, maximize, has_wd)
        f = gi * lr                                    # f_t = η·g_t
        vi = v[i] * gamma + f                          # v_t = γ·v + η·g
        v[i] = vi
        if nesterov:
            p[i] = p[i] - (vi * gamma + f)             # θ ← θ − (γ·v_t + η·g_t)
        else:
            p[i] = p[i] - vi                           # θ ← θ − v_t


def _adagrad(p, g, total, c, flags):
    lr_t, wd, eps = c[0], c[1], c[2]
    maximize, has_wd = flags & MAXIMIZE, flags & WEIGHT_DECAY
    p, g, total = p.ravel(), g.ravel(), total.ravel()
    for i in prange(p.size):
        gi = _direction(g[i], p[i], wd, maximize, has_wd)
        s = total[i] + gi * gi                         # G_t = G + g²
        total[i] = s
        p[i] = p[i] - (gi * lr_t) / (np.sqrt(s) + eps)  # θ ← θ − η_t·g / (√G_t + ε)


def _direction(g, p, wd, maximize, has_wd):
    """The gradient a rule follows: g ← −g if maximize, then g ← g + λ·θ if weight decay."""
    if maximize:
        g = -g
    if has_wd:
        g = g + p * wd
    return g


def _lerp(start, end, weight, complement, small_weight):
    """PyTorch's lerp as `optimizer.lerp_` evaluates it (`complement` is the dtype's 1 − weight)."""
    if small_weight:
        return start + (end - start) * weight
    return end - (end - start) * complement


def _rmsprop(p, g, square_avg, grad_avg, buf, c, flags):
    lr, alpha, one_minus_alpha, lerp_complement, eps, mu, wd = c[0], c[1], c[2], c[3], c[4], c[5], c[6]
    maximize, has_wd, centered = flags & MAXIMIZE, flags & WEIGHT_DECAY, flags & CENTERED
    has_momentum, lerp_small = flags & MOMENTUM, flags & LERP_SMALL
    p, g, square_avg = p.ravel(), g.ravel(), square_avg.ravel()
    grad_avg, buf = grad_avg.ravel(), buf.ravel()
    for i in prange(p.size):
        gi = _direction(g[i], p[i], wd, maximize, has_wd)
        s = square_avg[i] * alpha + (gi * one_minus_alpha) * gi   # G_t = α·G + (1 − α)·g²
        square_avg[i] = s
        if centered:
            m = _lerp(grad_avg[i], gi, one_minus_alpha, lerp_complement, lerp_small)  # ḡ_t
            grad_avg[i] = m
            a = np.sqrt(s - m * m) + eps
        else:
            a = np.sqrt(s) + eps                       # a_t = √G_t + ε
        if has_momentum:
            b = buf[i] * mu + gi / a                   # b_t = μ·b + g / a_t
            buf[i] = b
            p[i] = p[i] - b * lr
        else:
            p[i] = p[i] - (gi * lr) / a                # θ ← θ − η·g / a_t


def _adam_direction(g, p, wd, decay_factor, maximize, has_wd, decoupled):
    """The Adam family's opening: g ← −g if maximize; then θ ← θ·(1 − ηλ) if the decay is
    decoupled (AdamW), else g ← g + λ·θ. Returns (g, θ)."""
    if maximize:
        g = -g
    if has_wd:
        if decoupled:
            p = p * decay_factor                       # θ ← θ·(1 − ηλ)   (AdamW)
        else:
            g = g + p * wd                             # g ← g + λ·θ
    return g, p


def _moments(exp_avg, exp_avg_sq, i, g, one_minus_beta1, lerp_complement, beta2, one_minus_beta2, lerp_small):
    """Adam's two moments of element i, stored and returned: m_t = lerp(m_{t−1}, g, 1 − β1),
    v_t = β2·v_{t−1} + (1 − β2)·g·g."""
    m = _lerp(exp_avg[i], g, one_minus_beta1, lerp_complement, lerp_small)
    exp_avg[i] = m
    v = exp_avg_sq[i] * beta2 + (g * one_minus_beta2) * g
    exp_avg_sq[i] = v
    return m, v


def _adam(p, g, exp_avg, exp_avg_sq, max_exp_avg_sq, c, flags):
    one_minus_beta1, lerp_complement, beta2, one_minus_beta2 = c[0], c[1], c[2], c[3]
    step_size, bias_correction2_sqrt, eps, wd, decay_factor = c[4], c[5], c[6], c[7], c[8]
    maximize, has_wd, decoupled = flags & MAXIMIZE, flags & WEIGHT_DECAY, flags & DECOUPLED
    amsgrad, lerp_small = flags & AMSGRAD, flags & LERP_SMALL
    p, g, exp_avg = p.ravel(), g.ravel(), exp_avg.ravel()
    exp_avg_sq, max_exp_avg_sq = exp_avg_sq.ravel(), max_exp_avg_sq.ravel()
    for i in prange(p.size):
        gi, pi = _adam_direction(g[i], p[i], wd, decay_factor, maximize, has_wd, decoupled)
        # m_t and v_t written out, not through `_moments`: through it this serial loop took 6 ms
        # instead of 2.2 on 1.86 M numbers (Nadam's and RAdam's loops did not slow).
        m = _lerp(exp_avg[i], gi, one_minus_beta1, lerp_complement, lerp_small)   # m_t
        exp_avg[i] = m
        v = exp_avg_sq[i] * beta2 + (gi * one_minus_beta2) * gi        # v_t
        exp_avg_sq[i] = v
        if amsgrad:
            v_max = max_exp_avg_sq[i]
            if not v <= v_max:                         # np.maximum (a NaN wins)
                v_max = v
            max_exp_avg_sq[i] = v_max
            v = v_max
        denom = np.sqrt(v) / bias_correction2_sqrt + eps               # √v̂_t + ε
        p[i] = pi - (m * step_size) / denom            # θ ← θ − η·m̂_t / (√v̂_t + ε)


def _adadelta(p, g, square_avg, acc_delta, c, flags):
    lr, rho, one_minus_rho, eps, wd = c[0], c[1], c[2], c[3], c[4]
    maximize, has_wd = flags & MAXIMIZE, flags & WEIGHT_DECAY
    p, g, square_avg = p.ravel(), g.ravel(), square_avg.ravel()
    acc_delta = acc_delta.ravel()
    for i in prange(p.size):
        gi = _direction(g[i], p[i], wd, maximize, has_wd)
        s = square_avg[i] * rho + (gi * one_minus_rho) * gi             # E[g²]_t
        square_avg[i] = s
        delta = np.sqrt(acc_delta[i] + eps) / np.sqrt(s + eps) * gi     # δ_t = RMS[Δθ]_{t−1} / RMS[g]_t · g_t
        acc_delta[i] = acc_delta[i] * rho + (delta * one_minus_rho) * delta  # E[Δθ²]_t
        p[i] = p[i] - delta * lr                       # θ ← θ − η·δ_t


def _adamax(p, g, exp_avg, exp_inf, c, flags):
    one_minus_beta1, lerp_complement, beta2, eps, step_size, wd = c[0], c[1], c[2], c[3], c[4], c[5]
    maximize, has_wd, lerp_small = flags & MAXIMIZE, flags & WEIGHT_DECAY, flags & LERP_SMALL
    p, g, exp_avg = p.ravel(), g.ravel(), exp_avg.ravel()
    exp_inf = exp_inf.ravel()
    for i in prange(p.size):
        gi = _direction(g[i], p[i], wd, maximize, has_wd)
        m = _lerp(exp_avg[i], gi, one_minus_beta1, lerp_complement, lerp_small)   # m_t
        exp_avg[i] = m
        decayed, new = exp_inf[i] * beta2, np.abs(gi) + eps
        u = decayed if decayed > new or decayed != decayed else new     # np.maximum (a NaN wins)
        exp_inf[i] = u                                 # u_t = max(β2·u_{t−1}, |g_t| + ε)
        p[i] = p[i] - step_size * (m / u)              # θ ← θ − η/(1 − β1^t) · m_t/u_t


def _nadam(p, g, exp_avg, exp_avg_sq, c, flags):
    one_minus_beta1, lerp_complement, beta2, one_minus_beta2, bias_correction2 = c[0], c[1], c[2], c[3], c[4]
    eps, grad_step, momentum_step, wd, decay_factor = c[5], c[6], c[7], c[8], c[9]
    maximize, has_wd, decoupled = flags & MAXIMIZE, flags & WEIGHT_DECAY, flags & DECOUPLED
    lerp_small = flags & LERP_SMALL
    p, g, exp_avg = p.ravel(), g.ravel(), exp_avg.ravel()
    exp_avg_sq = exp_avg_sq.ravel()
    for i in prange(p.size):
        gi, pi = _adam_direction(g[i], p[i], wd, decay_factor, maximize, has_wd, decoupled)
        m, v = _moments(exp_avg, exp_avg_sq, i, gi, one_minus_beta1, lerp_complement, beta2, one_minus_beta2,
                        lerp_small)                    # m_t, v_t
        d = np.sqrt(v / bias_correction2) + eps        # d_t = √v̂_t + ε
        pi = pi - grad_step * (gi / d)                 # θ ← θ − η(1 − μ_t)/(1 − Π_t) · g_t/d_t
        p[i] = pi - momentum_step * (m / d)            #       − η·μ_{t+1}/(1 − Π_{t+1}) · m_t/d_t


def _radam(p, g, exp_avg, exp_avg_sq, c, flags):
    one_minus_beta1, lerp_complement, beta2, one_minus_beta2, bias_correction1 = c[0], c[1], c[2], c[3], c[4]
    lr, bias_correction2_sqrt, rect, eps, wd, decay_factor = c[5], c[6], c[7], c[8], c[9], c[10]
    maximize, has_wd, decoupled = flags & MAXIMIZE, flags & WEIGHT_DECAY, flags & DECOUPLED
    lerp_small, rectified = flags & LERP_SMALL, flags & RECTIFIED
    p, g, exp_avg = p.ravel(), g.ravel(), exp_avg.ravel()
    exp_avg_sq = exp_avg_sq.ravel()
    for i in prange(p.size):
        gi, pi = _adam_direction(g[i], p[i], wd, decay_factor, maximize, has_wd, decoupled)
        m, v = _moments(exp_avg, exp_avg_sq, i, gi, one_minus_beta1, lerp_complement, beta2, one_minus_beta2,
                        lerp_small)                    # m_t, v_t
        m_hat = m / bias_correction1                   # m̂_t
        if rectified:
            adaptive = bias_correction2_sqrt / (np.sqrt(v) + eps)      # √(1 − β2^t) / (√v_t + ε)
            p[i] = pi - ((m_hat * lr) * adaptive) * rect  # θ ← θ − η·m̂_t·√(1 − β2^t)/(√v_t + ε)·r_t
        else:
            p[i] = pi - m_hat * lr                     # θ ← θ − η·m̂_t


# ---------------------------------------------------------------------------------------------
# The fused updates `Optimizer.step()` calls. Each computes the rule's scalars exactly as its
# body does (Python floats, then cast once to the arrays' dtype) and returns whether it ran.

def _flags(group):
    return (group["maximize"] and MAXIMIZE) | (group["weight_decay"] != 0 and WEIGHT_DECAY)


def _sgd_update(p, grad, state, group):
    lr, mu, dampening = group["lr"], group["momentum"], group["dampening"]
    buf = state.get("momentum_buffer")
    kernel = kernel_for("sgd", p, grad, *([buf] if mu != 0 and buf is not None else []))
    if kernel is None:
        return False
    first = mu != 0 and buf is None
    if first:
        buf = state["momentum_buffer"] = np.empty_like(p)
    flags = _flags(group) | (mu != 0 and MOMENTUM) | (first and FIRST_STEP) | (
        dampening != 0 and DAMPENED) | (group["nesterov"] and NESTEROV)
    kernel(p, grad, buf if mu != 0 else grad,
           constants(p.dtype, lr, group["weight_decay"], mu, 1 - dampening), int(flags))
    return True


def _momentum_update(p, grad, state, group):
    kernel = kernel_for("momentum", p, grad, state["velocity"])
    if kernel is None:
        return False
    flags = _flags(group) | (group["nesterov"] and NESTEROV)
    kernel(p, grad, state["velocity"],
           constants(p.dtype, group["lr"], group["momentum"], group["weight_decay"]), int(flags))
    return True


def _nag_update(p, grad, state, group):
    # NAG's body is Momentum's with the Nesterov step: the same kernel, the flag always on.
    kernel = kernel_for("momentum", p, grad, state["velocity"])
    if kernel is None:
        return False
    kernel(p, grad, state["velocity"],
           constants(p.dtype, group["lr"], group["momentum"], group["weight_decay"]), int(_flags(group) | NESTEROV))
    return True


def _adagrad_update(p, grad, state, group):
    kernel = kernel_for("adagrad", p, grad, state["sum"])
    if kernel is None:
        return False
    clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])       # η_t
    kernel(p, grad, state["sum"], constants(p.dtype, clr, group["weight_decay"], group["eps"]),
           int(_flags(group)))
    return True


def _rmsprop_update(p, grad, state, group):
    kernel = kernel_for("rmsprop", p, grad, state["square_avg"], *(
        state[name] for name in ("grad_avg", "momentum_buffer") if name in state))
    if kernel is None:
        return False
    alpha, mu = group["alpha"], group["momentum"]
    flags = _flags(group) | (group["centered"] and CENTERED) | (mu > 0 and MOMENTUM) | (
        abs(1 - alpha) < 0.5 and LERP_SMALL)
    unused = state["square_avg"]  # stands in for a buffer this configuration doesn't have
    kernel(p, grad, state["square_avg"], state.get("grad_avg", unused), state.get("momentum_buffer", unused),
           constants(p.dtype, group["lr"], alpha, 1 - alpha, 1 - (1 - alpha), group["eps"], mu,
                     group["weight_decay"]), int(flags))
    return True


def _adam_update(p, grad, state, group):
    amsgrad = group["amsgrad"]
    kernel = kernel_for("adam", p, grad, state["exp_avg"], state["exp_avg_sq"],
                        *([state["max_exp_avg_sq"]] if amsgrad else []))
    if kernel is None:
        return False
    lr, (beta1, beta2), t, wd = group["lr"], group["betas"], state["step"], group["weight_decay"]
    step_size = lr / (1 - beta1 ** t)                                        # η / (1 − β1^t)
    bias_correction2_sqrt = (1 - beta2 ** t) ** 0.5                         # √(1 − β2^t)
    flags = _flags(group) | (group["decoupled_weight_decay"] and DECOUPLED) | (amsgrad and AMSGRAD) | (
        abs(1 - beta1) < 0.5 and LERP_SMALL)
    kernel(p, grad, state["exp_avg"], state["exp_avg_sq"], state["max_exp_avg_sq"] if amsgrad else state["exp_avg_sq"],
           constants(p.dtype, 1 - beta1, 1 - (1 - beta1), beta2, 1 - beta2, step_size, bias_correction2_sqrt,
                     group["eps"], wd, 1 - lr * wd), int(flags))
    return True


def _adadelta_update(p, grad, state, group):
    kernel = kernel_for("adadelta", p, grad, state["square_avg"], state["acc_delta"])
    if kernel is None:
        return False
    rho = group["rho"]
    kernel(p, grad, state["square_avg"], state["acc_delta"],
           constants(p.dtype, group["lr"], rho, 1 - rho, group["eps"], group["weight_decay"]), int(_flags(group)))
    return True


def _adamax_update(p, grad, state, group):
    kernel = kernel_for("adamax", p, grad, state["exp_avg"], state["exp_inf"])
    if kernel is None:
        return False
    (beta1, beta2), t = group["betas"], state["step"]
    flags = _flags(group) | (abs(1 - beta1) < 0.5 and LERP_SMALL)
    kernel(p, grad, state["exp_avg"], state["exp_inf"],
           constants(p.dtype, 1 - beta1, 1 - (1 - beta1), beta2, group["eps"], group["lr"] / (1 - beta1 ** t),
                     group["weight_decay"]), int(flags))
    return True


def _nadam_update(p, grad, state, group):
    kernel = kernel_for("nadam", p, grad, state["exp_avg"], state["exp_avg_sq"])
    if kernel is None:
        return False
    from .nadam import _momentum  # the rule's own μ_t, so the two paths cannot disagree on it
    lr, (beta1, beta2), t, wd = group["lr"], group["betas"], state["step"], group["weight_decay"]
    psi = group["momentum_decay"]
    mu, mu_next = _momentum(t, beta1, psi), _momentum(t + 1, beta1, psi)   # μ_t, μ_{t+1}
    # Π_t = Π_{t−1}·μ_t, once per step here, where the plain body would have done it; kept a
    # Python float as the body keeps it.
    state["mu_product"] = mu_product = float(state["mu_product"] * mu)
    flags = _flags(group) | (group["decoupled_weight_decay"] and DECOUPLED) | (abs(1 - beta1) < 0.5 and LERP_SMALL)
    kernel(p, grad, state["exp_avg"], state["exp_avg_sq"],
           constants(p.dtype, 1 - beta1, 1 - (1 - beta1), beta2, 1 - beta2, 1 - beta2 ** t, group["eps"],
                     lr * (1.0 - mu) / (1.0 - mu_product), lr * mu_next / (1.0 - mu_product * mu_next),
                     wd, 1 - lr * wd), int(flags))
    return True


def _radam_update(p, grad, state, group):
    kernel = kernel_for("radam", p, grad, state["exp_avg"], state["exp_avg_sq"])
    if kernel is None:
        return False
    from .radam import _rectification  # the rule's own r_t, so the two paths cannot disagree on it
    lr, (beta1, beta2), t, wd = group["lr"], group["betas"], state["step"], group["weight_decay"]
    rect = _rectification(t, beta2)                                          # r_t, or None while ρ_t ≤ 5
    flags = _flags(group) | (group["decoupled_weight_decay"] and DECOUPLED) | (
        abs(1 - beta1) < 0.5 and LERP_SMALL) | (rect is not None and RECTIFIED)
    kernel(p, grad, state["exp_avg"], state["exp_avg_sq"],
           constants(p.dtype, 1 - beta1, 1 - (1 - beta1), beta2, 1 - beta2, 1 - beta1 ** t, lr,
                     (1 - beta2 ** t) ** 0.5, 0.0 if rect is None else rect, group["eps"], wd, 1 - lr * wd),
           int(flags))
    return True


# The class whose body each fused update replaces (module and name, so the table imports no rule).
_FUSED = {
    "tinygrad_opt.optim.sgd.SGD": _sgd_update,
    "tinygrad_opt.optim.momentum.Momentum": _momentum_update,
    "tinygrad_opt.optim.nag.NAG": _nag_update,
    "tinygrad_opt.optim.adagrad.AdaGrad": _adagrad_update,
    "tinygrad_opt.optim.rmsprop.RMSProp": _rmsprop_update,
    "tinygrad_opt.optim.adam.Adam": _adam_update,
    "tinygrad_opt.optim.adadelta.Adadelta": _adadelta_update,
    "tinygrad_opt.optim.adamax.AdaMax": _adamax_update,
    "tinygrad_opt.optim.nadam.Nadam": _nadam_update,
    "tinygrad_opt.optim.radam.RAdam": _radam_update,
}


def _compile(numba):
    """Compile every kernel twice: a serial loop, and one whose `prange` spreads over cores."""
    import types

    helpers = {}
    for function in (_lerp, _direction, _adam_direction, _moments):  # a helper may call those before it
        namespace = dict(function.__globals__, **helpers)
        helpers[function.__name__] = numba.njit(inline="always")(
            types.FunctionType(function.__code__, namespace, function.__name__))
    compiled = {}
    for name, function in (("sgd", _sgd), ("momentum", _momentum), ("adagrad", _adagrad),
                           ("rmsprop", _rmsprop), ("adam", _adam), ("adadelta", _adadelta),
                           ("adamax", _adamax), ("nadam", _nadam), ("radam", _radam)):
        variants = []
        for parallel in (False, True):
            namespace = dict(function.__globals__, **helpers, prange=numba.prange if parallel else range)
            loop = types.FunctionType(function.__code__, namespace, function.__name__)
            # A name per variant keeps their entries in numba's on-disk cache apart.
            loop.__qualname__ = f"{function.__name__}_{'parallel' if parallel else 'serial'}"
            variants.append(numba.njit(parallel=parallel, nogil=True, cache=True, error_model="numpy")(loop))
        compiled[name] = (variants[0], _one_at_a_time(variants[1]))
    return compiled


def _one_at_a_time(kernel):
    """One parallel update at a time (numba's threading layers are not all safe to enter concurrently)."""
    lock = threading.Lock()

    def locked(*args):
        with lock:
            return kernel(*args)
    return locked


prange = range  # rebound per compiled variant; the plain Python functions above run serially
