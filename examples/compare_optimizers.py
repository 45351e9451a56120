"""Compare SGD, Momentum, AdaGrad, RMSProp and Adam on the same MLP, from Python.

`tinygrad-opt compare` does the same from the command line. Every rule starts from the same
initial weights and sees the same batches, so the curves differ only by the update rule:

    python examples/compare_optimizers.py                        # digits, the tuned defaults
    python examples/compare_optimizers.py --dataset moons --epochs 30 --out moons_out
"""
import argparse
from pathlib import Path

from tinygrad_opt.compare import (DATASETS, DEFAULT_EPOCHS, DEFAULT_HIDDEN, DEFAULT_LR, DEFAULT_OPTIMIZERS,
                                  compare_optimizers, format_table, load_dataset, plot_comparison,
                                  write_histories)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Train one MLP per optimizer from the same start and compare.")
    parser.add_argument("--dataset", choices=[name for name in DATASETS if "mnist" not in name], default="digits")
    parser.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="compare_out", metavar="DIR")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    data = load_dataset(args.dataset, seed=args.seed)
    print(f"{args.dataset}: {len(data.X_train)} training / {len(data.X_test)} test samples; "
          f"learning rates {', '.join(f'{name}={DEFAULT_LR[name]:g}' for name in DEFAULT_OPTIMIZERS)}")

    results = compare_optimizers(data, DEFAULT_OPTIMIZERS, hidden=DEFAULT_HIDDEN, epochs=args.epochs,
                                 seed=args.seed, on_result=lambda r: print(f"  {r.optimizer} done"))
    print(format_table(results))

    # The best rule by test accuracy, and how many epochs each rule needed to get within 1% of it.
    best = max(results, key=lambda r: r.test_accuracy)
    print(f"\nbest: {best.optimizer} ({best.test_accuracy:.4f})")
    for result in results:
        reached = [epoch for epoch, acc in zip(result.history.epochs, result.history.val_accuracy)
                   if acc >= best.test_accuracy - 0.01]
        print(f"  {result.optimizer:<9} within 1% of it after "
              f"{f'{reached[0]} epochs' if reached else 'never, in these epochs'}")

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_histories(results, out / "histories.json", {"dataset": args.dataset, "epochs": args.epochs, "seed": args.seed})
    try:
        plot_comparison(results, out / "comparison.png", title=f"{args.dataset}: the five update rules")
    except ImportError:
        print('matplotlib is not installed, so no plot was drawn: pip install "tinygrad_opt[plot]"')
    print(f"wrote {out}/")


if __name__ == "__main__":
    main()
