"""Two-dimensional loss surfaces with known minima, for watching optimizers move.

Each surface is written with the project's own Tensor operations, so its gradient comes from
autograd exactly as a network's would; the closed-form gradient is in each docstring and in
`gradient(x, y)`, so a test can check one against the other.

    surface = Beale()
    xy = Tensor(surface.start, requires_grad=True, dtype=np.float64)
    loss = surface(xy)            # f(x, y) as a 0-d Tensor
    loss.backward()               # xy.grad == surface.gradient(*surface.start)

Sorted, as the lecture notes sort the rules, from easy to hard: the bowl, the saddle,
Rosenbrock's banana valley, Beale's flat plateaus, Himmelblau's four minima.
"""
import numbers

import numpy as np

from ..autograd import no_grad
from ..tensor import Tensor

__all__ = ["Surface", "QuadraticBowl", "Saddle", "Rosenbrock", "Beale", "Himmelblau",
           "SURFACES", "make_surface"]


def _as_tensor(value):
    """A Tensor as given, or a float64 constant Tensor made from a number or array."""
    return value if isinstance(value, Tensor) else Tensor(value, dtype=np.float64)


def _check_real(name, value, *, positive=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if positive and value <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return float(value)


class Surface:
    """A function f(x, y) of two parameters with its known minima and a plotting window.

    Call it as `surface(x, y)` with two Tensors (or numbers), or as `surface(xy)` with one
    Tensor whose last dimension holds (x, y); it returns f as a Tensor of the broadcast
    shape (0-d for one point), built from Tensor ops so `backward()` gives ∇f.

    Attributes:
        name: the name used by `make_surface` and the command line.
        minima: the global minima, a tuple of (x, y) points (empty when there is none).
        minimum_value: f at each of the minima.
        saddle_points: known saddle points, a tuple of (x, y) points.
        bounds: the plotting window ((x_min, x_max), (y_min, y_max)).
        start: the default start point (x, y) of a trajectory.
        lrs: the default learning rate per rule name (`"sgd"`, `"momentum"`, `"adagrad"`,
            `"rmsprop"`, `"adam"`), chosen so every rule makes visible progress from `start`;
            the rest of Ruder's rules take their nearest relative's (NAG Momentum's; AdaMax
            and Nadam Adam's), Adadelta its default 1, and RAdam 0.01 everywhere (its first
            five steps are unnormalised, η·m̂: Adam's rate diverges there on Beale and Rosenbrock).
    """

    name = "surface"
    minima = ()
    minimum_value = 0.0
    saddle_points = ()
    bounds = ((-2.0, 2.0), (-2.0, 2.0))
    start = (1.0, 1.0)
    lrs = {}

    def __call__(self, x, y=None):
        if y is None:
            xy = _as_tensor(x)
            if xy.ndim == 0 or xy.shape[-1] != 2:
                raise ValueError(
                    f"{type(self).__name__} takes (x, y) or one tensor whose last dimension is 2, "
                    f"got shape {xy.shape}")
            x, y = xy[..., 0], xy[..., 1]
        return self.f(_as_tensor(x), _as_tensor(y))

    def f(self, x, y):
        """f(x, y) for Tensors x and y, written with Tensor ops."""
        raise NotImplementedError

    def gradient(self, x, y):
        """The closed-form gradient (∂f/∂x, ∂f/∂y) at a point, as a float64 array of shape (2,)."""
        raise NotImplementedError

    def values(self, x, y):
        """f on numpy arrays (e.g. a contour grid), evaluated without recording a graph."""
        with no_grad():
            return np.asarray(self(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)).data)

    def grid(self, resolution=200):
        """A grid over `bounds` for contour plots: `(X, Y, Z)` arrays of shape (resolution, resolution)."""
        (x_min, x_max), (y_min, y_max) = self.bounds
        X, Y = np.meshgrid(np.linspace(x_min, x_max, resolution), np.linspace(y_min, y_max, resolution))
        return X, Y, self.values(X, Y)

    def __repr__(self):
        return f"{type(self).__name__}()"


class QuadraticBowl(Surface):
    """An ill-conditioned quadratic bowl: steep across the valley, shallow along it.

        f(x, y) = ½ (x² + κ y²)
        ∇f = (x, κ y)

    The single minimum is f(0, 0) = 0. The curvatures along x and y are 1 and κ, so the
    condition number is κ: a learning rate small enough for the steep y direction
    (η < 2/κ for SGD) crawls along the shallow x direction, which is what Momentum and
    the adaptive rules fix.

    Args:
        kappa: κ, the ratio of the two curvatures (> 0; 10 by default).
    """

    name = "bowl"
    minima = ((0.0, 0.0),)
    bounds = ((-3.0, 3.0), (-1.5, 1.5))
    start = (-2.5, 1.0)
    lrs = {"sgd": 0.15, "momentum": 0.02, "adagrad": 0.5, "rmsprop": 0.05, "adam": 0.1,
           "nag": 0.02, "adadelta": 1.0, "adamax": 0.1, "nadam": 0.1, "radam": 0.01}

    def __init__(self, kappa=10.0):
        self.kappa = _check_real("kappa", kappa, positive=True)

    def f(self, x, y):
        return 0.5 * (x * x + self.kappa * (y * y))

    def gradient(self, x, y):
        return np.array([x, self.kappa * y], dtype=np.float64)

    def __repr__(self):
        return f"QuadraticBowl(kappa={self.kappa:g})"


class Saddle(Surface):
    """The saddle x² − y²: a minimum along x, a maximum along y, no minimum at all.

        f(x, y) = x² − y²
        ∇f = (2x, −2y)

    (0, 0) is a saddle point (∇f = 0, f = 0). Started close to the ridge y = 0, plain
    gradient descent leaves it slowly (y grows by a factor 1 + 2η per step), while the
    adaptive rules, which divide the tiny y-gradient by its own size, escape at once.
    f is unbounded below, so every run that escapes heads towards −∞.
    """

    name = "saddle"
    minima = ()
    minimum_value = None
    saddle_points = ((0.0, 0.0),)
    bounds = ((-2.0, 2.0), (-2.0, 2.0))
    start = (-1.5, 0.001)
    lrs = {"sgd": 0.01, "momentum": 0.002, "adagrad": 0.1, "rmsprop": 0.01, "adam": 0.03,
           "nag": 0.002, "adadelta": 1.0, "adamax": 0.03, "nadam": 0.03, "radam": 0.01}

    def f(self, x, y):
        return x * x - y * y

    def gradient(self, x, y):
        return np.array([2.0 * x, -2.0 * y], dtype=np.float64)


class Rosenbrock(Surface):
    """Rosenbrock's banana: a narrow, curved, almost flat valley.

        f(x, y) = (a − x)² + b (y − x²)²
        ∂f/∂x = −2 (a − x) − 4 b x (y − x²)
        ∂f/∂y = 2 b (y − x²)

    The single minimum is f(a, a²) = 0, (1, 1) for the classic a = 1, b = 100. Reaching the
    valley is easy; following its floor to the minimum is slow for every rule.

    Args:
        a: the minimum's x (and √ of its y); 1 by default.
        b: how steep the valley's walls are (> 0); 100 by default.
    """

    name = "rosenbrock"
    bounds = ((-2.0, 2.0), (-1.0, 3.0))
    start = (-1.5, 2.0)
    lrs = {"sgd": 1e-3, "momentum": 1e-3, "adagrad": 0.5, "rmsprop": 0.03, "adam": 0.1,
           "nag": 1e-3, "adadelta": 1.0, "adamax": 0.1, "nadam": 0.1, "radam": 0.01}

    def __init__(self, a=1.0, b=100.0):
        self.a = _check_real("a", a)
        self.b = _check_real("b", b, positive=True)
        self.minima = ((self.a, self.a ** 2),)
        # The classic window, widened when the minimum (a, a²) would fall outside it.
        self.bounds = ((min(-2.0, self.a - 1.0), max(2.0, self.a + 1.0)),
                       (-1.0, max(3.0, self.a ** 2 + 1.0)))

    def f(self, x, y):
        valley = y - x * x
        return (self.a - x) ** 2 + self.b * (valley * valley)

    def gradient(self, x, y):
        a, b = self.a, self.b
        return np.array([-2.0 * (a - x) - 4.0 * b * x * (y - x * x), 2.0 * b * (y - x * x)],
                        dtype=np.float64)

    def __repr__(self):
        return f"Rosenbrock(a={self.a:g}, b={self.b:g})"


class Beale(Surface):
    """Beale's function: flat plateaus, steep rims, and a minimum in a long curved valley.

        f(x, y) = (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²

    With the three residuals r₁ = 1.5 − x + xy, r₂ = 2.25 − x + xy², r₃ = 2.625 − x + xy³:

        ∂f/∂x = 2 r₁ (y − 1) + 2 r₂ (y² − 1) + 2 r₃ (y³ − 1)
        ∂f/∂y = 2 r₁ x + 4 r₂ x y + 6 r₃ x y²

    The single minimum is f(3, 0.5) = 0. The gradient's size varies by orders of magnitude
    across the window, which is where per-parameter step sizes pay off.
    """

    name = "beale"
    minima = ((3.0, 0.5),)
    bounds = ((-1.0, 4.5), (-1.5, 2.5))
    start = (1.0, 1.5)
    lrs = {"sgd": 0.01, "momentum": 1e-3, "adagrad": 0.5, "rmsprop": 0.01, "adam": 0.05,
           "nag": 1e-3, "adadelta": 1.0, "adamax": 0.05, "nadam": 0.05, "radam": 0.01}

    def f(self, x, y):
        xy = x * y
        return ((1.5 - x + xy) ** 2 + (2.25 - x + xy * y) ** 2 + (2.625 - x + xy * y * y) ** 2)

    def gradient(self, x, y):
        r1 = 1.5 - x + x * y
        r2 = 2.25 - x + x * y ** 2
        r3 = 2.625 - x + x * y ** 3
        return np.array([2 * r1 * (y - 1) + 2 * r2 * (y ** 2 - 1) + 2 * r3 * (y ** 3 - 1),
                         2 * r1 * x + 4 * r2 * x * y + 6 * r3 * x * y ** 2], dtype=np.float64)


class Himmelblau(Surface):
    """Himmelblau's function: four minima of equal depth, so where you start decides where you end.

        f(x, y) = (x² + y − 11)² + (x + y² − 7)²
        ∂f/∂x = 4x (x² + y − 11) + 2 (x + y² − 7)
        ∂f/∂y = 2 (x² + y − 11) + 4y (x + y² − 7)

    The minima, all with f = 0, are (3, 2), (−2.805118, 3.131313), (−3.779310, −3.283186)
    and (3.584428, −1.848127) (stored to full double precision); f has a local maximum
    near (−0.270845, −0.923039). From the default start (−1, −0.5), just beside it, SGD and
    Momentum follow the gradient down to (−3.78, −3.28), while the adaptive rules, whose first
    steps move both coordinates by about η, end in (−2.81, 3.13).
    """

    name = "himmelblau"
    minima = (
        (3.0, 2.0),
        (-2.805118086952745, 3.131312518250573),
        (-3.779310253377747, -3.2831859912861696),
        (3.5844283403304917, -1.8481265269644034),
    )
    bounds = ((-5.0, 5.0), (-5.0, 5.0))
    start = (-1.0, -0.5)
    lrs = {"sgd": 5e-3, "momentum": 1e-3, "adagrad": 0.5, "rmsprop": 0.02, "adam": 0.1,
           "nag": 1e-3, "adadelta": 1.0, "adamax": 0.1, "nadam": 0.1, "radam": 0.01}

    def f(self, x, y):
        return (x * x + y - 11.0) ** 2 + (x + y * y - 7.0) ** 2

    def gradient(self, x, y):
        u = x * x + y - 11.0
        v = x + y * y - 7.0
        return np.array([4.0 * x * u + 2.0 * v, 2.0 * u + 4.0 * y * v], dtype=np.float64)


SURFACES = {cls.name: cls for cls in (QuadraticBowl, Saddle, Rosenbrock, Beale, Himmelblau)}


def make_surface(name, **kwargs):
    """The surface called `name` (a key of `SURFACES`), built with `kwargs`.

    Args:
        name: one of `"bowl"`, `"saddle"`, `"rosenbrock"`, `"beale"`, `"himmelblau"`
            (case-insensitive), or a `Surface`, returned as given.
        **kwargs: the surface's parameters, e.g. `kappa=50` for the bowl.

    Raises:
        ValueError: for an unknown name.
    """
    if isinstance(name, Surface):
        return name
    key = str(name).strip().lower()
    if key not in SURFACES:
        raise ValueError(f"unknown surface {name!r}: expected one of {', '.join(SURFACES)}")
    return SURFACES[key](**kwargs)
