"""`tinygrad-opt compare`: the same MLP trained with each rule, from the same weights, on the same batches."""
import sys

from ..compare import (DEFAULT_BATCH_SIZE, DEFAULT_EPOCHS, DEFAULT_LR, DEFAULT_OPTIMIZERS, OPTIMIZERS,
                       compare_optimizers, format_table, plot_comparison, write_histories)
from .arguments import (add_model_arguments, check_data_arguments, check_writable_dir,
                        fill_model_defaults, learning_rate_map, load_data, make_dirs, optimizer_list,
                        positive_int, rates_for, say)


def add_command(subparsers):
    parser = subparsers.add_parser(
        "compare", help="train the same MLP with each optimizer and compare them",
        description="Train the same MLP from the same initial weights with each optimizer, on the same "
                    "batches; print a table and write histories.json and comparison.png to --out.")
    add_model_arguments(parser, DEFAULT_BATCH_SIZE)
    parser.add_argument("--optimizers", type=optimizer_list, default=DEFAULT_OPTIMIZERS, metavar="NAMES",
                        help=f"comma-separated, from {', '.join(OPTIMIZERS)}, or all "
                             f"(default: the notes' five, {','.join(DEFAULT_OPTIMIZERS)})")
    parser.add_argument("--lr", type=learning_rate_map, default={}, metavar="RATES",
                        help="learning rates per optimizer, like adam=0.01,sgd=0.1, or one number for all "
                             f"(defaults: {', '.join(f'{k}={v:g}' for k, v in DEFAULT_LR.items())})")
    parser.add_argument("--epochs", type=positive_int("--epochs"), default=DEFAULT_EPOCHS, metavar="N",
                        help=f"epochs per optimizer (default: {DEFAULT_EPOCHS})")
    parser.add_argument("--out", default="compare_out", metavar="DIR",
                        help="output folder for histories.json and comparison.png (default: compare_out)")
    parser.add_argument("--quiet", action="store_true", help="print only the table")
    parser.set_defaults(handler=run)
    return parser


def run(args):
    fill_model_defaults(args, DEFAULT_BATCH_SIZE)
    check_data_arguments(args)
    rates = rates_for(args.lr, args.optimizers)
    out = check_writable_dir(args.out, "--out")

    data = load_data(args)
    say(args, f"{data.name}: {len(data.X_train)} training and {len(data.X_test)} test samples, "
               f"{data.n_features} features, {data.n_classes} classes; "
               f"MLP {' -> '.join(map(str, (data.n_features, *args.hidden, data.n_classes)))}")

    def report(result):
        status = f"diverged at {result.diverged_at}" if result.diverged else \
            f"test accuracy {result.test_accuracy:.4f}"
        say(args, f"  {result.optimizer:<9} lr {result.lr:<8g} {status} ({result.seconds:.1f} s)")

    results = compare_optimizers(data, args.optimizers, rates, hidden=args.hidden, epochs=args.epochs,
                                 batch_size=args.batch_size, seed=args.seed, on_result=report)
    print(format_table(results))

    make_dirs(out)
    config = {"dataset": data.name, "hidden": list(args.hidden), "optimizers": list(args.optimizers),
              "epochs": args.epochs, "batch_size": args.batch_size, "seed": args.seed,
              "n_train": len(data.X_train), "n_test": len(data.X_test),
              "n_features": data.n_features, "n_classes": data.n_classes}
    write_histories(results, out / "histories.json", config)
    written = [out / "histories.json"]
    try:
        plot_comparison(results, out / "comparison.png",
                        title=f"{data.name}: MLP {'-'.join(map(str, (data.n_features, *args.hidden, data.n_classes)))}, "
                              f"batch {args.batch_size}, the same initial weights for every rule")
        written.append(out / "comparison.png")
    except ImportError:
        print('matplotlib is not installed, so comparison.png was not drawn: pip install "tinygrad_opt[plot]"',
              file=sys.stderr)
    print("wrote " + ", ".join(str(path) for path in written))
    for result in results:
        if result.diverged:
            print(f"{result.optimizer} diverged: {result.diverged}", file=sys.stderr)
    return 0
