"""Compare the update rules: one MLP, the same initial weights, the same batches, one rule each.

    results = compare_optimizers(load_dataset("digits"))
    print(format_table(results))
    write_histories(results, "compare_out/histories.json")
    plot_comparison(results, "compare_out/comparison.png")    # needs matplotlib

This is the job behind `tinygrad-opt compare` and `examples/compare_optimizers.py`. Each
rule starts from a copy of one freshly initialised model and sees the training batches in
the same order, so the only difference between two runs is the update rule (and its
learning rate). A rule whose loss becomes NaN or infinite is reported as diverged, with the
epochs it finished, instead of stopping the comparison.
"""
from dataclasses import dataclass, field
import json
from pathlib import Path

from . import nn
from .files import atomic_write
from .data import (DataLoader, load_digits, load_mnist, make_blobs, make_circles, make_moons,
                   make_spirals, make_xor, standardize, train_test_split)
from .optim import registry
from .random import manual_seed
from .train import History, NonFiniteLossError, NonFiniteWeightsError, fit

OPTIMIZERS = {name: rule.cls.__name__ for name, rule in registry.RULES.items()}
"""Command-line name → class name in `tinygrad_opt.optim` (from `optim.registry`)."""

DEFAULT_OPTIMIZERS = registry.NOTES_RULES

DEFAULT_LR = {name: rule.mlp_lr for name, rule in registry.RULES.items()}
"""Each rule's teaching learning rate for the digits MLP (`optim.registry`: tuned with the default
MLP, batch size and epochs; test accuracy over split seeds 0-9: every rule 97-99%)."""

DATASETS = ("digits", "spirals", "moons", "circles", "xor", "blobs", "mnist", "fashion-mnist")
NEEDS_DATA_ROOT = ("mnist", "fashion-mnist")

DEFAULT_HIDDEN = (256, 128)
DEFAULT_EPOCHS = 20
DEFAULT_BATCH_SIZE = 32
TEST_SIZE = 0.25
SYNTHETIC_SAMPLES = 1000


@dataclass
class Dataset:
    """Standardized training and test arrays of one classification problem."""

    name: str
    X_train: object
    X_test: object
    y_train: object
    y_test: object

    @property
    def n_features(self):
        return self.X_train.shape[1]

    @property
    def n_classes(self):
        return int(max(self.y_train.max(), self.y_test.max())) + 1


def load_dataset(name, seed=0, data_root=None, download=False):
    """Load a classification data set by name, split it and standardize its features.

    The digits and the synthetic sets (`SYNTHETIC_SAMPLES` points, generated from `seed`)
    are split 75/25 with `seed`; MNIST and Fashion-MNIST use their own test split and need
    `data_root`, the folder of their IDX files (fetched there first when `download`).
    Features are scaled with the training part's mean and standard deviation.
    """
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r} (choose from {', '.join(DATASETS)})")
    if name in NEEDS_DATA_ROOT:
        if data_root is None:
            raise ValueError(f"dataset {name!r} needs data_root, the folder holding its IDX files")
        X_train, y_train = load_mnist(data_root, train=True, download=download, kind=name)
        X_test, y_test = load_mnist(data_root, train=False, download=download, kind=name)
    else:
        if name == "digits":
            X, y = load_digits()
        else:
            generators = {"spirals": make_spirals, "moons": make_moons, "circles": make_circles,
                          "xor": make_xor, "blobs": make_blobs}
            X, y = generators[name](n_samples=SYNTHETIC_SAMPLES, seed=seed)
        X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=TEST_SIZE, seed=seed)
    X_train, X_test, _ = standardize(X_train, X_test)
    return Dataset(name, X_train, X_test, y_train, y_test)


def build_mlp(n_features, hidden, n_classes):
    """`Linear → ReLU` for each hidden size, then a `Linear` to one score per class."""
    layers, width = [], n_features
    for size in hidden:
        layers += [nn.Linear(width, size), nn.ReLU()]
        width = size
    layers.append(nn.Linear(width, n_classes))
    return nn.Sequential(*layers)


def make_optimizer(name, params, lr, **hyperparameters):
    """The rule called `name` (a key of OPTIMIZERS) over `params`, with learning rate `lr` and
    any other `hyperparameters` of its constructor (the rule's defaults for the rest)."""
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r} (choose from {', '.join(OPTIMIZERS)})")
    return registry.RULES[name].cls(params, lr=lr, **hyperparameters)


@dataclass
class Result:
    """One rule's run: its History and the figures the comparison table shows."""

    optimizer: str
    lr: float
    history: History = field(repr=False)
    diverged: str = None  # fit's message, when the loss or the weights became NaN or inf
    diverged_at: str = None  # where: "epoch 2, step 7"

    @property
    def final_loss(self):
        """The last finished epoch's training loss (None if the first epoch diverged)."""
        return self.history.loss[-1] if len(self.history) else None

    @property
    def test_accuracy(self):
        """The last finished epoch's test accuracy (None if the first epoch diverged)."""
        return self.history.val_accuracy[-1] if len(self.history) else None

    @property
    def epochs(self):
        return len(self.history)

    @property
    def seconds(self):
        return sum(self.history.time)

    def to_dict(self):
        return {"lr": self.lr, "final_train_loss": self.final_loss, "test_accuracy": self.test_accuracy,
                "epochs": self.epochs, "seconds": self.seconds, "diverged": self.diverged,
                "history": self.history.to_dict()}


def compare_optimizers(dataset, optimizers=DEFAULT_OPTIMIZERS, lr=None, hidden=DEFAULT_HIDDEN,
                       epochs=DEFAULT_EPOCHS, batch_size=DEFAULT_BATCH_SIZE, seed=0, on_result=None):
    """Train one MLP per rule from the same initial weights on the same batches.

    Args:
        dataset: a Dataset (see `load_dataset`).
        optimizers: names from OPTIMIZERS, run in this order.
        lr: a dict of learning rates by name; rules it leaves out get DEFAULT_LR.
        hidden: the MLP's hidden-layer sizes.
        seed: seeds the initial weights and the order of the batches.
        on_result: called with each Result as soon as its run ends (to print progress).

    Returns:
        A list of Results in the order of `optimizers`; the test set is evaluated after every
        epoch, as the History's `val_loss` and `val_accuracy`.
    """
    learning_rates = {**DEFAULT_LR, **(lr or {})}
    weights = initial_weights(dataset, hidden, seed)
    results = []
    for name in optimizers:
        result = train_rule(dataset, name, learning_rates[name], weights, hidden=hidden, epochs=epochs,
                            batch_size=batch_size, seed=seed)
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results


def initial_weights(dataset, hidden=DEFAULT_HIDDEN, seed=0):
    """The state_dict of a fresh MLP for `dataset`, drawn after `manual_seed(seed)`."""
    manual_seed(seed)
    return build_mlp(dataset.n_features, hidden, dataset.n_classes).state_dict()


def train_rule(dataset, name, lr, weights, hidden=DEFAULT_HIDDEN, epochs=DEFAULT_EPOCHS,
               batch_size=DEFAULT_BATCH_SIZE, seed=0, hyperparameters=None, callbacks=None):
    """Train one MLP with the rule `name` from `weights` (see `initial_weights`) and return its Result.

    The batches are shuffled by a loader seeded with `seed`, so two calls with the same
    arguments train identically. `hyperparameters` go to the rule's constructor beside `lr`;
    `callbacks` to `fit`. A loss that becomes NaN or infinite ends the run and is reported in
    the Result's `diverged` and `diverged_at`, not raised.
    """
    model = build_mlp(dataset.n_features, hidden, dataset.n_classes)
    model.load_state_dict(weights)
    optimizer = make_optimizer(name, model.parameters(), lr, **(hyperparameters or {}))
    batches = DataLoader(dataset.X_train, dataset.y_train, batch_size=batch_size, shuffle=True, seed=seed)
    result = Result(name, lr, History())
    try:
        fit(model, nn.CrossEntropyLoss(), optimizer, batches, epochs,
            val=(dataset.X_test, dataset.y_test), progress=False, history=result.history,
            callbacks=callbacks)
    except (NonFiniteLossError, NonFiniteWeightsError) as error:
        result.diverged, result.diverged_at = str(error), f"epoch {error.epoch}, step {error.step}"
    return result


def format_table(results):
    """The comparison as a fixed-width text table, one row per rule."""
    header = f"{'optimizer':<10} {'lr':>8} {'train loss':>11} {'test acc':>9} {'epochs':>7} {'seconds':>8}"
    rows = [header, "-" * len(header)]
    for result in results:
        row = (f"{result.optimizer:<10} {result.lr:>8.4g} {_number(result.final_loss, 11)} "
               f"{_number(result.test_accuracy, 9)} {result.epochs:>7d} {result.seconds:>8.2f}")
        if result.diverged:
            row += f"  diverged at {result.diverged_at}"
        rows.append(row)
    return "\n".join(rows)


def _number(value, width):
    return f"{value:>{width}.4f}" if value is not None else f"{'-':>{width}}"


def write_histories(results, path, config=None):
    """Write `{"config": ..., "results": {name: {lr, final_train_loss, ..., history}}}` as JSON."""
    document = {"config": dict(config or {}), "results": {r.optimizer: r.to_dict() for r in results}}
    with atomic_write(path) as file:
        file.write((json.dumps(document, indent=2) + "\n").encode("utf-8"))


def plot_comparison(results, path, title=None):
    """Draw training loss and test accuracy per epoch for every rule, side by side, to `path`.

    Each rule in its own colour, line style and marker of `lab.styles` (the same as in every
    other picture of the package), the legend under the axes, where it covers no curve.
    Returns the matplotlib `Figure`.

    Raises:
        ImportError: matplotlib is not installed (`pip install "tinygrad_opt[plot]"`).
    """
    from matplotlib.figure import Figure  # no pyplot: no GUI backend, no global state
    from matplotlib.ticker import MaxNLocator

    from .lab.plot import legend_below
    from .lab.styles import styles_for

    figure = Figure(figsize=(11, 4.6), layout="constrained")
    loss_axes, accuracy_axes = figure.subplots(1, 2)
    for result, style in zip(results, styles_for(result.optimizer for result in results)):
        label = f"{result.optimizer} (lr {result.lr:g})" + (", diverged" if result.diverged else "")
        line = dict(color=style.color, linestyle=style.linestyle, marker=style.marker, markersize=4,
                    markeredgecolor="white", markeredgewidth=0.5, linewidth=1.6, label=label)
        loss_axes.plot(result.history.epochs, result.history.loss, **line)
        accuracy_axes.plot(result.history.epochs, result.history.val_accuracy, **line)
    loss_axes.set(xlabel="epoch", ylabel="training loss (cross-entropy)", yscale="log", title="Training loss")
    accuracy_axes.set(xlabel="epoch", ylabel="test accuracy", title="Test accuracy")
    for axes in (loss_axes, accuracy_axes):
        axes.grid(alpha=0.3)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    legend_below(figure, loss_axes, columns=min(len(results), 5))
    if title:
        figure.suptitle(title)
    with atomic_write(path) as file:
        figure.savefig(file, format=Path(path).suffix[1:] or None, dpi=110)
    return figure
