"""Every rule's equations, as `optimizer.explain(param)` writes them out with the numbers.

One function per rule, keyed by the class's name (a subclass, e.g. AdamW, uses its parent's).
It gets the group's hyperparameters, the parameter's state (before the step) and t (the
step being taken), and returns:

    hyper       the notes' letters → numbers (η, β₁, ...): shown in the header, and folded
                into one number wherever an expression reads only them and t (1 − β₁ → 0.1)
    state       the notes' letter of each buffer → its PyTorch state name (m → exp_avg)
    equations   (name, expression) in the order the rule computes them, the notes' letters as
                Python names; a buffer's letter on the right reads its value from step t − 1
                until its own equation has run. The last one is `delta`, the update Δθ.

The expressions follow the notes' form of each rule where it is the same rule, and PyTorch's
where the code follows PyTorch (ε outside the root, RMSProp's decay), so Δθ is the update the
class applies — the same maths in possibly another order (tests: 1e-12 relative, float64).
Before these, `explain` writes the shared opening g_t = ±∇J(θ_t) (+ λ·θ_t), and after them
θ_{t+1} = θ_t + Δθ.
"""
from collections import namedtuple

Equations = namedtuple("Equations", "hyper state equations")


def sgd(group, state, t):
    hyper = {"lr": group["lr"]}
    if group["momentum"] == 0:
        return Equations(hyper, {}, [("delta", "-lr*g")])                        # θ ← θ − η·g
    hyper.update(mu=group["momentum"], tau=group["dampening"])
    if "momentum_buffer" not in state:
        buffer = "g"                                                            # b_1 = g_1
    else:
        buffer = "mu*b + (1 - tau)*g" if group["dampening"] else "mu*b + g"
    direction = "g + mu*b" if group["nesterov"] else "b"
    return Equations(hyper, {"b": "momentum_buffer"},
                     [("b", buffer), ("d", direction), ("delta", "-lr*d")])


def momentum(group, state, t):
    step = "-(gamma*v + lr*g)" if group["nesterov"] else "-v"
    return Equations({"lr": group["lr"], "gamma": group["momentum"]}, {"v": "velocity"},
                     [("v", "gamma*v + lr*g"), ("delta", step)])


def nag(group, state, t):
    # On the look-ahead point φ = θ − γ·v_{t−1}, which is what the class stores and steps.
    return Equations({"lr": group["lr"], "gamma": group["momentum"]}, {"v": "velocity"},
                     [("v", "gamma*v + lr*g"), ("delta", "-(gamma*v + lr*g)")])


def adagrad(group, state, t):
    hyper = {"lr": group["lr"], "eps": group["eps"]}
    equations = [("G", "G + g**2")]
    lr = "lr"
    if group["lr_decay"]:
        hyper["lr_decay"] = group["lr_decay"]
        equations.append(("lr_t", "lr / (1 + (t - 1)*lr_decay)"))
        lr = "lr_t"
    equations.append(("delta", f"-{lr}*g / (sqrt(G) + eps)"))
    return Equations(hyper, {"G": "sum"}, equations)


def rmsprop(group, state, t):
    hyper = {"lr": group["lr"], "gamma": group["alpha"], "eps": group["eps"]}
    buffers = {"G": "square_avg"}
    equations = [("G", "gamma*G + (1 - gamma)*g**2")]
    if group["centered"]:
        buffers["gbar"] = "grad_avg"
        equations += [("gbar", "gamma*gbar + (1 - gamma)*g"), ("a", "sqrt(G - gbar**2) + eps")]
    else:
        equations.append(("a", "sqrt(G) + eps"))
    if group["momentum"] > 0:
        hyper["mu"] = group["momentum"]
        buffers["b"] = "momentum_buffer"
        equations += [("b", "mu*b + g/a"), ("delta", "-lr*b")]
    else:
        equations.append(("delta", "-lr*g/a"))
    return Equations(hyper, buffers, equations)


def _decay(group):
    """AdamW's (decoupled) weight decay as a term of Δθ: θ·(1 − ηλ) − step = θ − ηλθ − step."""
    return "-lr*lam*theta " if group.get("decoupled_weight_decay") and group["weight_decay"] else ""


def adam(group, state, t):
    beta1, beta2 = group["betas"]
    hyper = {"lr": group["lr"], "beta1": beta1, "beta2": beta2, "eps": group["eps"]}
    buffers = {"m": "exp_avg", "v": "exp_avg_sq"}
    equations = [("m", "beta1*m + (1 - beta1)*g"), ("v", "beta2*v + (1 - beta2)*g**2")]
    second = "v"
    if group["amsgrad"]:
        buffers["v_max"] = "max_exp_avg_sq"
        equations.append(("v_max", "max(v_max, v)"))
        second = "v_max"
    equations += [("m_hat", "m / (1 - beta1**t)"), ("v_hat", f"{second} / (1 - beta2**t)"),
                  ("delta", _decay(group) + "-lr*m_hat / (sqrt(v_hat) + eps)")]
    return Equations(hyper, buffers, equations)


def adamax(group, state, t):
    beta1, beta2 = group["betas"]
    return Equations(
        {"lr": group["lr"], "beta1": beta1, "beta2": beta2, "eps": group["eps"]},
        {"m": "exp_avg", "u": "exp_inf"},
        [("m", "beta1*m + (1 - beta1)*g"),
         ("u", "max(beta2*u, abs(g) + eps)"),                   # the ∞-norm: u_t = max(β₂u, |g|)
         ("delta", "-lr / (1 - beta1**t) * m/u")])


def adadelta(group, state, t):
    return Equations(
        {"lr": group["lr"], "rho": group["rho"], "eps": group["eps"]},
        {"Eg2": "square_avg", "Edx2": "acc_delta"},
        [("Eg2", "rho*Eg2 + (1 - rho)*g**2"),
         ("dx", "sqrt(Edx2 + eps) / sqrt(Eg2 + eps) * g"),     # RMS[Δx]_{t−1} / RMS[g]_t · g_t
         ("Edx2", "rho*Edx2 + (1 - rho)*dx**2"),
         ("delta", "-lr*dx")])


def nadam(group, state, t):
    beta1, beta2 = group["betas"]
    return Equations(
        {"lr": group["lr"], "beta1": beta1, "beta2": beta2, "eps": group["eps"],
         "psi": group["momentum_decay"]},
        {"m": "exp_avg", "v": "exp_avg_sq", "mu_prod": "mu_product"},
        [("mu_t", "beta1*(1 - 0.5*0.96**(t*psi))"),
         ("mu_next", "beta1*(1 - 0.5*0.96**((t + 1)*psi))"),
         ("mu_prod", "mu_prod*mu_t"),
         ("m", "beta1*m + (1 - beta1)*g"),
         ("v", "beta2*v + (1 - beta2)*g**2"),
         ("v_hat", "v / (1 - beta2**t)"),
         ("delta", _decay(group) + "-lr*(1 - mu_t)*g / ((1 - mu_prod)*(sqrt(v_hat) + eps))"
                   " - lr*mu_next*m / ((1 - mu_prod*mu_next)*(sqrt(v_hat) + eps))")])


def radam(group, state, t):
    beta1, beta2 = group["betas"]
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * t * beta2 ** t / (1 - beta2 ** t)
    equations = [("m", "beta1*m + (1 - beta1)*g"), ("v", "beta2*v + (1 - beta2)*g**2"),
                 ("m_hat", "m / (1 - beta1**t)"),
                 ("rho_inf", "2/(1 - beta2) - 1"),
                 ("rho_t", "rho_inf - 2*t*beta2**t / (1 - beta2**t)")]
    if rho_t > 5:       # the variance of the adaptive step is defined: rectify it
        equations += [("l", "sqrt(1 - beta2**t) / (sqrt(v) + eps)"),
                      ("r", "sqrt((rho_t - 4)*(rho_t - 2)*rho_inf / ((rho_inf - 4)*(rho_inf - 2)*rho_t))"),
                      ("delta", _decay(group) + "-lr*m_hat*r*l")]
    else:               # too few steps: plain momentum SGD with a bias-corrected m
        equations.append(("delta", _decay(group) + "-lr*m_hat"))
    return Equations({"lr": group["lr"], "beta1": beta1, "beta2": beta2, "eps": group["eps"]},
                     {"m": "exp_avg", "v": "exp_avg_sq"}, equations)


EQUATIONS = {"SGD": sgd, "Momentum": momentum, "NAG": nag, "AdaGrad": adagrad, "RMSProp": rmsprop, "Adam": adam,
             "AdaMax": adamax, "Adadelta": adadelta, "Nadam": nadam, "RAdam": radam}
"""Class name → its equations (rules not yet in `optim` wait here for their class)."""


def describe_for(cls):
    """The equations function of `cls` or of its nearest parent in EQUATIONS (None if none)."""
    for klass in cls.__mro__:
        if klass.__name__ in EQUATIONS:
            return EQUATIONS[klass.__name__]
    return None
