"""`fit`: the training loop every example writes by hand, packaged once, with a history.

The loop the docs teach stays the plain one:

    for epoch in range(epochs):
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            broken = _first_non_finite(optimizer, names)
            if broken is not None:
                bar.close()
                raise NonFiniteWeightsError(epoch, step, steps, broken, lr)

`fit` runs exactly that, and around it records one row per epoch (training loss and
accuracy, validation loss and accuracy, wall time, learning rate), draws a progress bar
when a person is watching, steps a learning-rate scheduler, lets callbacks stop early, and
refuses to take an optimizer step from a loss that is NaN or infinite (and stops, naming the
parameter, when a step makes the weights so).
"""
import math
import sys
import time

import numpy as np

from .autograd import no_grad
from .data import DataLoader
from .tensor import Tensor

TRAIN_BATCH_SIZE = 32
EVAL_BATCH_SIZE = 512


class NonFiniteLossError(FloatingPointError):
    """The loss of a training step was NaN or infinite; the step's update was not applied.

    Attributes: `epoch` and `step` (both counted from 1, as the message prints them),
    `loss` (the offending value) and `lr` (the learning rate in use, or None).
    """

    def __init__(self, epoch, step, steps_per_epoch, loss, lr=None):
        self.epoch, self.step, self.loss, self.lr = epoch, step, loss, lr
        super().__init__(
            f"training loss is {loss} at {_step_name(epoch, step, steps_per_epoch)}; "
            f"the optimizer step was not taken, so the weights are still finite. "
            f"The learning rate is probably too large: try a smaller one than {_lr_name(lr)}"
        )


class NonFiniteWeightsError(FloatingPointError):
    """An optimizer step turned a parameter's values into inf or NaN; the model is no longer usable.

    Attributes: `epoch` and `step` (both counted from 1) and `parameter`, the parameter's name in
    the model (as in `model.named_parameters()`) or its place in the optimizer's groups.
    """

    def __init__(self, epoch, step, steps_per_epoch, parameter, lr=None):
        self.epoch, self.step, self.parameter, self.lr = epoch, step, parameter, lr
        super().__init__(
            f"the optimizer step at {_step_name(epoch, step, steps_per_epoch)} made {parameter} inf or NaN, so "
            f"the weights are no longer usable. The learning rate is probably too large: start again (from "
            f"the initial weights or a checkpoint) with a smaller one than {_lr_name(lr)}"
        )


def _step_name(epoch, step, steps_per_epoch):
    return f"epoch {epoch}, step {step}" + (f" of {steps_per_epoch}" if steps_per_epoch else "")


def _lr_name(lr):
    return f"lr={lr:g}" if lr is not None else "the current one"


class History:
    """One entry per finished epoch, in lists named as `fit` measures them.

    - `loss`: mean training loss over the epoch's samples (each batch weighted by its size).
    - `accuracy`: fraction of training samples classified correctly during the epoch (the
      running figure, taken while the weights still change), or None for regression.
    - `val_loss`, `val_accuracy`: the same on the validation data after the epoch, in eval
      mode; None when `fit` was given no `val` (and `val_accuracy` for regression).
    - `time`: wall-clock seconds the epoch took, validation included.
    - `lr`: the learning rate of the optimizer's first parameter group during the epoch.

    Epochs are counted from 1: `history.epochs[-1] == len(history)`.
    """

    FIELDS = ("loss", "accuracy", "val_loss", "val_accuracy", "time", "lr")

    def __init__(self):
        for field in self.FIELDS:
            setattr(self, field, [])

    def __len__(self):
        return len(self.loss)

    @property
    def epochs(self):
        """The epoch numbers, 1 to len(self)."""
        return list(range(1, len(self) + 1))

    def append(self, **row):
        """Record one epoch; `row` holds a value (or None) for every field."""
        missing = set(self.FIELDS) - set(row)
        unknown = set(row) - set(self.FIELDS)
        if missing or unknown:
            raise ValueError(f"History.append needs exactly {self.FIELDS}; missing {sorted(missing)}, "
                             f"unknown {sorted(unknown)}")
        for field in self.FIELDS:
            value = row[field]
            getattr(self, field).append(None if value is None else float(value))

    def to_dict(self):
        """A JSON-ready dict: `epoch` plus every field, each a list of floats or None."""
        return {"epoch": self.epochs, **{field: list(getattr(self, field)) for field in self.FIELDS}}

    @classmethod
    def from_dict(cls, values):
        """Rebuild a History from `to_dict()`'s output (e.g. read back from JSON)."""
        history = cls()
        lengths = {field: len(values[field]) for field in cls.FIELDS}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"history fields have different lengths: {lengths}")
        for row in zip(*(values[field] for field in cls.FIELDS)):
            history.append(**dict(zip(cls.FIELDS, row)))
        return history

    def __repr__(self):
        if not len(self):
            return "History(0 epochs)"
        last = ", ".join(f"{field}={getattr(self, field)[-1]:.4g}" for field in self.FIELDS
                         if getattr(self, field)[-1] is not None)
        return f"History({len(self)} epochs; last: {last})"


class ProgressBar:
    """A one-line carriage-return progress bar: `epoch 3 [#####.....] 21/42 loss 0.3412`.

    It draws only when `enabled` and `stream` is a terminal, so logs and pipes stay clean;
    redraws are throttled to `min_interval` seconds (the last step always draws).
    """

    def __init__(self, total, label="", stream=None, enabled=True, width=24, min_interval=0.1):
        self.stream = sys.stderr if stream is None else stream
        self.enabled = enabled and _is_terminal(self.stream)
        self.total, self.label, self.width, self.min_interval = total, label, width, min_interval
        self._last_draw = -math.inf
        self._line_length = 0

    def update(self, done, **values):
        """Show `done` of `total` steps and `values` (e.g. loss=0.34) after the bar."""
        if not self.enabled:
            return
        now = time.perf_counter()
        if done != self.total and now - self._last_draw < self.min_interval:
            return
        self._last_draw = now
        if self.total:
            filled = self.width * done // self.total
            text = f"{self.label} [{'#' * filled + '.' * (self.width - filled)}] {done}/{self.total}"
        else:  # an iterable of unknown length: count the steps only
            text = f"{self.label} step {done}"
        for name, value in values.items():
            text += f" {name} {value:.4f}" if isinstance(value, float) else f" {name} {value}"
        padding = " " * max(0, self._line_length - len(text))
        self._line_length = len(text)
        self.stream.write("\r" + text + padding)
        self.stream.flush()

    def close(self, summary=None):
        """End the line, replacing the bar by `summary` when one is given."""
        if not self.enabled:
            return
        if summary is not None:
            self.stream.write("\r" + summary + " " * max(0, self._line_length - len(summary)))
        self.stream.write("\n")
        self.stream.flush()


def _is_terminal(stream):
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


def as_loader(data, *, shuffle, batch_size, name):
    """`data` itself if it already yields batches, else an `(X, y)` pair wrapped in a DataLoader."""
    if isinstance(data, tuple):
        if len(data) != 2:
            raise ValueError(f"{name} must be a DataLoader or an (X, y) pair, got a tuple of {len(data)} items")
        return DataLoader(data[0], data[1], batch_size=batch_size, shuffle=shuffle)
    if not hasattr(data, "__iter__"):
        raise TypeError(f"{name} must be a DataLoader or an (X, y) pair, got {type(data).__name__}")
    return data


def is_classification(output, target):
    """True when `output` holds one row of class scores per sample and `target` integer labels."""
    target = np.asarray(target.data if isinstance(target, Tensor) else target)
    return output.ndim == 2 and target.ndim == 1 and np.issubdtype(target.dtype, np.integer)


def _correct(output, target):
    """How many rows of `output` have their largest score at the `target` label."""
    return int((output.data.argmax(axis=1) == target.data).sum())


def _first_non_finite(optimizer, names):
    """The name of the first parameter holding an inf or NaN, or None when all are finite."""
    with np.errstate(over="ignore", invalid="ignore"):
        for group_index, group in enumerate(optimizer.param_groups):
            for index, param in enumerate(group["params"]):
                # The sum is one fast pass; it is finite whenever every value is, except that it
                # can overflow, which the full check then rules out.
                if not np.isfinite(param.data.sum()) and not np.isfinite(param.data).all():
                    return names.get(id(param), f"param_groups[{group_index}]['params'][{index}]")
    return None


def _current_lr(optimizer):
    groups = getattr(optimizer, "param_groups", None)
    if groups and "lr" in groups[0]:
        return float(groups[0]["lr"])
    return None


def evaluate(model, loss_fn, data, batch_size=EVAL_BATCH_SIZE):
    """Mean loss and accuracy of `model` on `data`, in eval mode and without building a graph.

    `data` is a DataLoader or an `(X, y)` pair. Returns `(loss, accuracy)`; accuracy is None
    unless the model outputs class scores for integer labels. The model's train/eval mode is
    restored afterwards.
    """
    loader = as_loader(data, shuffle=False, batch_size=batch_size, name="data")
    was_training = getattr(model, "training", False)
    model.eval()
    total_loss, correct, n_samples, classification = 0.0, 0, 0, True
    try:
        with no_grad():
            for xb, yb in loader:
                output = model(xb)
                total_loss += loss_fn(output, yb).item() * len(xb)
                classification = classification and is_classification(output, yb)
                if classification:
                    correct += _correct(output, yb)
                n_samples += len(xb)
    finally:
        model.train(was_training)
    if n_samples == 0:
        raise ValueError("evaluate got no samples")
    return total_loss / n_samples, (correct / n_samples if classification else None)


def accuracy(model, X, y, batch_size=EVAL_BATCH_SIZE):
    """The fraction of samples in X whose largest output score is at their label in y."""
    correct, n_samples = 0, 0
    was_training = getattr(model, "training", False)
    model.eval()
    try:
        with no_grad():
            for xb, yb in DataLoader(X, y, batch_size=batch_size):
                correct += _correct(model(xb), yb)
                n_samples += len(xb)
    finally:
        model.train(was_training)
    if n_samples == 0:
        raise ValueError("accuracy got no samples")
    return correct / n_samples


def fit(model, loss_fn, optimizer, train, epochs, *, val=None, scheduler=None, callbacks=None,
        progress=True, history=None):
    """Train `model` for `epochs` epochs and return the History of every epoch.

    Args:
        model: an `nn.Module`, put in training mode for each epoch.
        loss_fn: called as `loss_fn(model(xb), yb)`, returning a scalar Tensor.
        optimizer: an `optim.Optimizer` over the model's parameters.
        train: a DataLoader, or an `(X, y)` pair wrapped in
            `DataLoader(X, y, batch_size=32, shuffle=True)`.
        epochs: how many epochs to run now.
        val: optional validation data, a DataLoader or an `(X, y)` pair, evaluated after
            each epoch.
        scheduler: optional learning-rate scheduler; `scheduler.step()` runs after each epoch.
        callbacks: functions called as `callback(epoch, history)` after each epoch (epoch
            counted from 1); one returning True stops training after that epoch.
        progress: draw a progress bar with the running loss on stderr, when it is a terminal.
        history: a History to continue (e.g. restored from a checkpoint): new epochs are
            appended to it and numbered after its last one.

    Returns:
        The History (the one given, or a new one).

    Raises:
        NonFiniteLossError: a batch's loss is NaN or infinite. It is raised before that
            batch's backward pass and optimizer step, so the weights stay as the last good
            step left them.
        NonFiniteWeightsError: an optimizer step made a parameter inf or NaN (checked after
            every step); it names the step and the parameter.
    """
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs must be an integer >= 0, got {epochs!r}")
    train_loader = as_loader(train, shuffle=True, batch_size=TRAIN_BATCH_SIZE, name="train")
    val_loader = None if val is None else as_loader(val, shuffle=False, batch_size=EVAL_BATCH_SIZE, name="val")
    callbacks = list(callbacks or [])
    history = History() if history is None else history
    first_epoch = len(history) + 1
    names = {id(param): f"parameter {name!r}" for name, param in getattr(model, "named_parameters", list)()}

    for epoch in range(first_epoch, first_epoch + epochs):
        started = time.perf_counter()
        lr = _current_lr(optimizer)
        steps = len(train_loader) if hasattr(train_loader, "__len__") else None
        bar = ProgressBar(steps, label=f"epoch {epoch}", enabled=progress)
        model.train()
        total_loss, correct, n_samples, classification = 0.0, 0, 0, True

        for step, (xb, yb) in enumerate(train_loader, start=1):
            optimizer.zero_grad()
            output = model(xb)
            loss = loss_fn(output, yb)
            loss_value = loss.item()
            if not math.isfinite(loss_value):
                bar.close()
                raise NonFiniteLossError(epoch, step, steps, loss_value, lr)
            loss.backward()
            optimizer.step()
            broken = _first_non_finite(optimizer, names)
            if broken is not None:
                bar.close()
                raise NonFiniteWeightsError(epoch, step, steps, broken, lr)

            total_loss += loss_value * len(xb)
            n_samples += len(xb)
            classification = classification and is_classification(output, yb)
            if classification:
                correct += _correct(output, yb)
            bar.update(step, loss=total_loss / n_samples)

        if n_samples == 0:
            raise ValueError("the training data yielded no batches")
        train_loss = total_loss / n_samples
        train_accuracy = correct / n_samples if classification else None
        val_loss, val_accuracy = (None, None) if val_loader is None else evaluate(model, loss_fn, val_loader)
        history.append(loss=train_loss, accuracy=train_accuracy, val_loss=val_loss,
                       val_accuracy=val_accuracy, time=time.perf_counter() - started, lr=lr)
        bar.close(_epoch_summary(epoch, history))

        if scheduler is not None:
            scheduler.step()
        stop = False
        for callback in callbacks:
            stop = bool(callback(epoch, history)) or stop
        if stop:
            break
    return history


def _epoch_summary(epoch, history):
    """`epoch 3: loss 0.1234 accuracy 0.9612 val_loss ... (0.41 s)` for the last epoch."""
    parts = [f"epoch {epoch}:"]
    for field in ("loss", "accuracy", "val_loss", "val_accuracy"):
        value = getattr(history, field)[-1]
        if value is not None:
            parts.append(f"{field} {value:.4f}")
    parts.append(f"({history.time[-1]:.2f} s)")
    return " ".join(parts)
