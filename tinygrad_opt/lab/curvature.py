"""Curvature: what the second derivatives say about the optimizers' behaviour.

Near a point θ*, a loss is a quadratic bowl, L(θ) ≈ L(θ*) + ½ (θ − θ*)ᵀ H (θ − θ*), with
H = ∇²L the Hessian and λ₁ ≤ … ≤ λₙ its eigenvalues. Three consequences, each computed here
with `tinygrad_opt.func` (the Hessian by double backward, Hessian-vector products without
forming it):

- Gradient descent θ ← θ − η g multiplies the error along eigenvector i by (1 − η λᵢ) each
  step: it converges only if |1 − η λ_max| < 1, i.e. η < 2/λ_max (`bowl_curvature`).
- The best plain η = 2/(λ₁ + λₙ) shrinks the error by (κ − 1)/(κ + 1) per step, κ = λₙ/λ₁
  the condition number; Momentum with η = (2/(√λ₁ + √λₙ))² and γ = ((√κ − 1)/(√κ + 1))²
  shrinks it by (√κ − 1)/(√κ + 1) — the √κ speed-up (Distill, "Why Momentum Really Works").
- Newton's method θ ← θ − H⁻¹ g jumps to the stationary point of the local quadratic in one
  step — a minimum, a maximum or a saddle alike (`Newton`); the adaptive rules divide each
  coordinate by a positive estimate √v of the gradient's size instead: a diagonal, sign-blind
  stand-in for |H|.
- On a network, the top eigenvalue λ_max (the "sharpness") is found by power iteration with
  Hessian-vector products (`top_hessian_eigenvalue`) and followed over training
  (`sharpness_during_training`): gradient descent at learning rate η keeps it near or
  below 2/η.
"""
from dataclasses import dataclass, field

import numpy as np

from .. import func, optim
from ..autograd import no_grad
from ..tensor import Tensor
from .surfaces import QuadraticBowl, make_surface

__all__ = ["BowlCurvature", "bowl_curvature", "surface_hessian", "Newton", "newton_factory",
           "top_hessian_eigenvalue", "FlatMLP", "Sharpness", "sharpness_during_training"]


def surface_hessian(surface, point):
    """The 2 × 2 Hessian of a 2-D surface at `point` (x, y), by `func.hessian`."""
    if isinstance(surface, str):
        surface = make_surface(surface)
    return func.hessian(surface, Tensor(np.asarray(point, dtype=np.float64), dtype=np.float64)).data


@dataclass
class BowlCurvature:
    """The quadratic bowl's curvature and the learning rates it dictates.

    Attributes:
        eigenvalues: the Hessian's eigenvalues λ₁ ≤ λ₂ (1 and κ for `QuadraticBowl(kappa=κ)`).
        condition_number: κ = λ_max / λ_min.
        max_stable_lr: 2 / λ_max, the largest η for which gradient descent converges.
        best_sgd_lr: 2 / (λ_min + λ_max), plain gradient descent's fastest η.
        sgd_rate: (κ − 1)/(κ + 1), its error shrink factor per step.
        momentum_lr, momentum: Momentum's optimal η = (2/(√λ_min + √λ_max))² and
            γ = ((√κ − 1)/(√κ + 1))².
        momentum_rate: (√κ − 1)/(√κ + 1), Momentum's shrink factor per step.
    """

    eigenvalues: np.ndarray
    condition_number: float
    max_stable_lr: float
    best_sgd_lr: float
    sgd_rate: float
    momentum_lr: float
    momentum: float
    momentum_rate: float


def bowl_curvature(kappa=10.0):
    """The Hessian of `QuadraticBowl(kappa)` (computed, not assumed) and what follows from it."""
    hessian = surface_hessian(QuadraticBowl(kappa), (0.0, 0.0))
    eigenvalues = np.linalg.eigvalsh(hessian)
    low, high = float(eigenvalues[0]), float(eigenvalues[-1])
    condition = high / low
    root = float(np.sqrt(condition))
    return BowlCurvature(
        eigenvalues=eigenvalues, condition_number=condition, max_stable_lr=2 / high,
        best_sgd_lr=2 / (low + high), sgd_rate=(condition - 1) / (condition + 1),
        momentum_lr=float((2 / (np.sqrt(low) + np.sqrt(high))) ** 2), momentum=((root - 1) / (root + 1)) ** 2,
        momentum_rate=(root - 1) / (root + 1))


class Newton:
    """Newton's method as an optimizer for `lab.trajectories`: θ ← θ − η H⁻¹ g (η = 1: pure Newton).

    `loss(θ)` is the function being minimized (a surface); H = ∇²loss(θ) comes from
    `func.hessian`, and H⁻¹g from solving H s = g (least squares where H is singular). Being
    the stationary point of the local quadratic model, the step goes to a maximum or a saddle
    as readily as to a minimum: it sees where g = 0, not which way is down.
    """

    def __init__(self, params, loss, lr=1.0):
        self.params = list(params)
        if len(self.params) != 1:
            raise ValueError(f"Newton takes one parameter tensor (the point), got {len(self.params)}")
        self.loss = loss
        self.param_groups = [{"params": self.params, "lr": float(lr)}]

    def zero_grad(self):
        self.params[0].grad = None

    def step(self):
        theta = self.params[0]
        hessian = func.hessian(self.loss, theta.detach()).data
        gradient = theta.grad.data
        direction = np.linalg.lstsq(hessian, gradient, rcond=None)[0]
        with no_grad():
            theta.sub_(Tensor(direction, dtype=theta.dtype), alpha=self.param_groups[0]["lr"])


def newton_factory(surface, lr=1.0):
    """("newton", factory) for `trajectories`, minimizing `surface` by Newton's method."""
    if isinstance(surface, str):
        surface = make_surface(surface)
    return ("newton", lambda params: Newton(params, surface, lr=lr))


def top_hessian_eigenvalue(loss, theta, iterations=50, tol=1e-6, seed=0):
    """The eigenvalue of ∇²loss(θ) largest in magnitude (the top one, λ_max, in practice), and
    its unit eigenvector, by power iteration with Hessian-vector products:

        v ← H v / ‖H v‖,   λ = vᵀ H v

    Each step is one `func.vhp`: vᵀH = ∇(gᵀv), two backward passes, which is (H v)ᵀ because a
    Hessian is symmetric (`func.hvp` gives H v itself with a third pass); H is never formed.
    Stops when λ changes by less than `tol`·|λ|, or after `iterations` steps.
    """
    theta = theta if isinstance(theta, Tensor) else Tensor(theta, dtype=np.float64)
    v = np.random.default_rng(seed).standard_normal(theta.shape)
    v /= np.linalg.norm(v)
    eigenvalue = 0.0
    for _ in range(iterations):
        product = func.vhp(loss, theta, Tensor(v, dtype=theta.dtype))[1].data
        previous, eigenvalue = eigenvalue, float(np.vdot(v, product))
        norm = np.linalg.norm(product)
        if norm == 0:
            return 0.0, v
        v = product / norm
        if abs(eigenvalue - previous) <= tol * abs(eigenvalue):
            break
    return eigenvalue, v


class FlatMLP:
    """An MLP whose parameters are one flat vector θ, so `func.hessian`/`hvp` take it directly.

    `sizes` = (64, h, 10): Linear(64→h), ReLU, Linear(h→10), cross-entropy on class labels;
    θ holds W₁, b₁, W₂, b₂ in that order (W as PyTorch's (out, in)). `init(seed)` draws
    PyTorch's default U(−1/√fan_in, 1/√fan_in).
    """

    def __init__(self, sizes=(64, 16, 10)):
        self.sizes = tuple(sizes)
        self.shapes = []
        for fan_in, fan_out in zip(self.sizes, self.sizes[1:]):
            self.shapes += [(fan_out, fan_in), (fan_out,)]
        self.n_params = int(sum(np.prod(shape) for shape in self.shapes))

    def init(self, seed=0):
        rng = np.random.default_rng(seed)
        parts = []
        for shape in self.shapes:
            bound = 1 / np.sqrt(self.shapes[len(parts) // 2 * 2][1])
            parts.append(rng.uniform(-bound, bound, size=shape).ravel())
        return np.concatenate(parts)

    def loss(self, theta, images, labels):
        from ..nn import functional as F
        params, start = [], 0
        for shape in self.shapes:
            count = int(np.prod(shape))
            params.append(theta[start:start + count].reshape(shape))
            start += count
        h = images
        for layer in range(0, len(params), 2):
            if layer:
                h = h.relu()
            h = F.linear(h, params[layer], params[layer + 1])
        return F.cross_entropy(h, labels)


@dataclass
class Sharpness:
    """One training run's sharpness: λ_max at `steps`, the training loss at every step."""

    lr: float
    steps: np.ndarray
    sharpness: np.ndarray
    losses: np.ndarray = field(repr=False)

    @property
    def threshold(self):
        """2/η: gradient descent is unstable along any direction curved more than this."""
        return 2 / self.lr


def sharpness_during_training(lrs=(0.25, 0.5, 1.0), steps=300, every=10, hidden=16, samples=256, seed=0):
    """Train the digits MLP (64→hidden→10) by full-batch gradient descent (SGD on all
    `samples` images at once) at each η in `lrs`, from the same start; every `every` steps,
    λ_max of the training loss's Hessian by `top_hessian_eigenvalue`. Returns {η: Sharpness}."""
    from ..data import load_digits
    images, labels = load_digits()
    pick = np.random.default_rng(seed).choice(len(labels), samples, replace=False)
    images = Tensor(images[pick] / 16.0, dtype=np.float64)
    labels = Tensor(labels[pick].astype(np.int64))
    model = FlatMLP((64, hidden, 10))
    start = model.init(seed)

    def loss(theta):
        return model.loss(theta, images, labels)

    runs = {}
    for lr in lrs:
        theta = Tensor(start.copy(), dtype=np.float64, requires_grad=True)
        optimizer = optim.SGD([theta], lr=lr)
        checked, sharpness, losses = [], [], []
        for step in range(steps + 1):
            if step % every == 0:
                checked.append(step)
                sharpness.append(top_hessian_eigenvalue(loss, theta.detach(), iterations=30, tol=1e-4)[0])
            optimizer.zero_grad()
            value = loss(theta)
            losses.append(value.item())
            if step < steps:
                value.backward()
                optimizer.step()
        runs[lr] = Sharpness(float(lr), np.array(checked), np.array(sharpness), np.array(losses))
    return runs
