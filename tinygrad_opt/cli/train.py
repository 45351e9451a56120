"""`tinygrad-opt train`: one MLP, one rule, a checkpoint after every epoch; --resume continues it."""
from pathlib import Path
import sys

from .. import load, manual_seed, nn, save
from ..compare import DEFAULT_LR, OPTIMIZERS, build_mlp, make_optimizer
from ..data import DataLoader
from ..train import History, fit
from .arguments import (PROG, UsageError, add_model_arguments, check_data_arguments, check_model_size,
                        check_writable_file, dataset_name, fill_model_defaults, hidden_sizes, learning_rate,
                        load_data, make_dirs, non_negative_int, optimizer_name, positive_int, say)


TRAIN_DEFAULT_BATCH_SIZE = 32
TRAIN_DEFAULT_EPOCHS = 10
CHECKPOINT_KIND = "tinygrad-opt train checkpoint"
# What a checkpoint fixes: a resumed run must use the same, or it would not be a continuation.
RUN_SETTINGS = ("dataset", "data_root", "hidden", "optimizer", "lr", "batch_size", "seed")
CHECKPOINT_PARTS = ("settings", "model", "optimizer", "history")


def add_command(subparsers):
    parser = subparsers.add_parser(
        "train", help="train one MLP with one optimizer, saving a checkpoint after every epoch",
        description="Train one MLP with one optimizer, showing a progress bar; a checkpoint (model, optimizer, "
                    "epoch, settings, history) is written after every epoch. --resume continues from it: "
                    "the settings come from the checkpoint and the run continues exactly as if it had never "
                    "stopped. An existing checkpoint is replaced only with --force; a file that is not one "
                    "never is.")
    add_model_arguments(parser, TRAIN_DEFAULT_BATCH_SIZE)
    parser.add_argument("--optimizer", type=optimizer_name, default=None, metavar="NAME",
                        help=f"one of {', '.join(OPTIMIZERS)} (default: adam)")
    parser.add_argument("--lr", type=learning_rate, default=None, metavar="RATE",
                        help="learning rate (default: the optimizer's tuned rate, as in compare)")
    parser.add_argument("--epochs", type=positive_int("--epochs"), default=TRAIN_DEFAULT_EPOCHS, metavar="N",
                        help=f"train until this many epochs are done in total (default: {TRAIN_DEFAULT_EPOCHS})")
    parser.add_argument("--checkpoint", default="checkpoint.npz", metavar="FILE",
                        help="checkpoint file written after every epoch (default: checkpoint.npz)")
    parser.add_argument("--resume", action="store_true", help="continue from --checkpoint")
    parser.add_argument("--force", action="store_true",
                        help="start afresh over an existing --checkpoint (a file that is not one is never replaced)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar, only the final line")
    parser.set_defaults(handler=run)
    return parser


def _read_checkpoint(path):
    if not Path(path).is_file():
        raise UsageError(f"--resume: no checkpoint at {str(path)!r}")
    try:
        checkpoint = load(path)
    except Exception as error:  # any unreadable file: the loader's own message says what is wrong
        raise UsageError(f"--resume: cannot read checkpoint {str(path)!r}: {error}") from None
    if not isinstance(checkpoint, dict) or checkpoint.get("kind") != CHECKPOINT_KIND:
        raise UsageError(f"--resume: {str(path)!r} is not a checkpoint written by {PROG} train")
    missing = [part for part in CHECKPOINT_PARTS if part not in checkpoint]
    if missing:
        raise UsageError(f"--resume: the checkpoint {str(path)!r} is damaged: it has no {', '.join(missing)}")
    return checkpoint


def _refuse_to_overwrite(path, force):
    """A fresh run never replaces a file that is not our checkpoint, nor a checkpoint without --force."""
    path = Path(path)
    if not path.is_file():
        return
    try:
        checkpoint = load(path)
    except Exception:  # not a checkpoint at all
        checkpoint = None
    if not isinstance(checkpoint, dict) or checkpoint.get("kind") != CHECKPOINT_KIND:
        raise UsageError(f"--checkpoint {str(path)!r} exists and is not a checkpoint written by {PROG} train; "
                         "it is never overwritten: choose another file name")
    if not force:
        raise UsageError(f"--checkpoint {str(path)!r} already holds a checkpoint: add --resume to continue it, "
                         "or --force to start over")


# How each saved setting is checked: the type it must have, then the option's own parser.
SETTING_TYPES = {"dataset": (str, dataset_name), "data_root": (str, str), "hidden": (str, hidden_sizes),
                 "optimizer": (str, optimizer_name), "lr": ((int, float), learning_rate),
                 "batch_size": (int, positive_int("--batch-size")), "seed": (int, non_negative_int("--seed"))}


def _saved_settings(checkpoint):
    """The checkpoint's settings, each checked as if it had been typed on the command line."""
    settings = checkpoint["settings"]
    if not isinstance(settings, dict):
        raise UsageError(f"--resume: the checkpoint's settings are a {type(settings).__name__}, expected a dict")
    saved = {}
    for setting in RUN_SETTINGS:
        if setting not in settings:
            raise UsageError(f"--resume: the checkpoint's settings have no {setting!r}")
        value = settings[setting]
        expected, parse = SETTING_TYPES[setting]
        if isinstance(value, bool) or not isinstance(value, expected):
            raise UsageError(f"--resume: the checkpoint's setting {setting!r} is {value!r}, "
                             f"expected {'text' if expected is str else 'a number'}")
        try:
            saved[setting] = parse(value if expected is str else str(value))
        except UsageError as error:
            raise UsageError(f"--resume: the checkpoint's setting {setting!r} is wrong: {error}") from None
    saved["data_root"] = saved["data_root"] or None
    return saved


def _settings_from_checkpoint(args, checkpoint):
    """Take the run's settings from the checkpoint; an option given on the command line must agree."""
    saved = _saved_settings(checkpoint)
    for setting in RUN_SETTINGS:
        given = getattr(args, setting)
        if given is not None and given != saved[setting]:
            option = "--" + setting.replace("_", "-")
            raise UsageError(f"the checkpoint was trained with {option} {_show(saved[setting])}, not "
                             f"{_show(given)}; drop {option} to resume, or train afresh without --resume")
        setattr(args, setting, saved[setting])


def _show(value):
    """A setting as it is typed on the command line (hidden sizes as 64,32; none as "")."""
    if isinstance(value, tuple):
        return ",".join(map(str, value)) or '""'
    return str(value)


def run(args):
    checkpoint = None
    if args.resume and args.force:
        raise UsageError("--resume continues the checkpoint and --force starts over: choose one")
    if args.resume:
        checkpoint = _read_checkpoint(args.checkpoint)
        _settings_from_checkpoint(args, checkpoint)
    else:
        fill_model_defaults(args, TRAIN_DEFAULT_BATCH_SIZE)
        args.optimizer = args.optimizer or "adam"
        args.lr = DEFAULT_LR[args.optimizer] if args.lr is None else args.lr
        _refuse_to_overwrite(args.checkpoint, args.force)
    check_data_arguments(args)
    checkpoint_path = check_writable_file(args.checkpoint, "--checkpoint")

    data = load_data(args)
    check_model_size(data, args.hidden)
    manual_seed(args.seed)
    model = build_mlp(data.n_features, args.hidden, data.n_classes)
    optimizer = make_optimizer(args.optimizer, model.parameters(), args.lr)
    history = History()
    if checkpoint is not None:
        try:
            model.load_state_dict(checkpoint["model"])
        except (KeyError, ValueError, RuntimeError, TypeError) as error:
            raise UsageError(f"--resume: the checkpoint does not fit this model: {error}") from None
        try:
            optimizer.load_state_dict(checkpoint["optimizer"])
        except (KeyError, ValueError, RuntimeError, TypeError, IndexError, AttributeError) as error:
            raise UsageError(f"--resume: the checkpoint's optimizer state is damaged: "
                             f"{type(error).__name__}: {error}") from None
        try:
            history = History.from_dict(checkpoint["history"])
        except (KeyError, ValueError, TypeError, AttributeError) as error:
            raise UsageError(f"--resume: the checkpoint's history is damaged: {type(error).__name__}: {error}") \
                from None
    done = len(history)
    if done >= args.epochs:
        print(f"the checkpoint has {done} epochs, --epochs asks for {args.epochs}: nothing to do "
              f"(raise --epochs to train on)")
        return 0

    settings = {setting: getattr(args, setting) for setting in RUN_SETTINGS}
    settings["hidden"] = ",".join(map(str, args.hidden))
    settings["data_root"] = args.data_root or ""
    progress = not args.quiet
    log_epochs = progress and not _stderr_is_terminal()  # the bar already shows them on a terminal
    say(args, f"training MLP {' -> '.join(map(str, (data.n_features, *args.hidden, data.n_classes)))} "
               f"on {data.name} with {args.optimizer} (lr {args.lr:g}), epochs {done + 1}..{args.epochs}")

    def save_checkpoint(epoch, history):
        make_dirs(checkpoint_path.parent)
        save({"kind": CHECKPOINT_KIND, "epoch": epoch, "settings": settings, "model": model.state_dict(),
              "optimizer": optimizer.state_dict(), "history": history.to_dict()}, checkpoint_path)
        if log_epochs:
            print(_epoch_line(epoch, history), flush=True)

    for epoch in range(done, args.epochs):
        # One loader per epoch, seeded by (seed, epoch): epoch k sees the same batches whether or
        # not the run stopped and resumed before it.
        batches = DataLoader(data.X_train, data.y_train, batch_size=args.batch_size, shuffle=True,
                             seed=[args.seed, epoch])
        fit(model, nn.CrossEntropyLoss(), optimizer, batches, 1, val=(data.X_test, data.y_test),
            progress=progress, history=history, callbacks=[save_checkpoint])
    print(f"done after {len(history)} epoch{'s' if len(history) > 1 else ''}: test accuracy {history.val_accuracy[-1]:.4f}, "
          f"training loss {history.loss[-1]:.4f}; checkpoint {checkpoint_path}")
    return 0


def _epoch_line(epoch, history):
    return (f"epoch {epoch}: loss {history.loss[-1]:.4f} accuracy {history.accuracy[-1]:.4f} "
            f"test loss {history.val_loss[-1]:.4f} test accuracy {history.val_accuracy[-1]:.4f} "
            f"({history.time[-1]:.2f} s)")


def _stderr_is_terminal():
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False
