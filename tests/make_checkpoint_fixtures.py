"""Write checkpoints made by one version of tinygrad_opt, for later versions to load.

    python tests/make_checkpoint_fixtures.py          # writes tests/fixtures/optim/checkpoints_<tag>.npz

For every case of `tests/test_optim_checkpoint.py` (each rule and its options, two parameter
groups): 50 steps, the checkpoint (`{"model", "optimizer"}` state dicts), then 50 more steps
from it and the parameters they reach. `test_checkpoints_of_an_earlier_version_still_load`
loads the checkpoint with the code of today and must reach the same parameters.

The committed file `checkpoints_before_redesign.npz` was written by the version before the
optimizer redesign (one plain body per rule, the fused kernels behind `optim/kernels.py`).
"""
import importlib.util
import os
import sys

import tinygrad_opt as tg

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("checkpoint_cases", os.path.join(HERE, "test_optim_checkpoint.py"))
cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cases)


def make_fixtures():
    X, y = cases.data()
    fixtures = {}
    for case in getattr(cases, "BEFORE_REDESIGN", sorted(cases.CASES)):
        model, optimizer, _ = cases.make(case, None, seed=0)
        cases.train(model, optimizer, None, 50, X, y)
        checkpoint = {"model": model.state_dict(), "optimizer": optimizer.state_dict()}
        cases.train(model, optimizer, None, 50, X, y)
        fixtures[case] = {"checkpoint": checkpoint, "after": model.state_dict()}
    return fixtures


if __name__ == "__main__":
    tag = sys.argv[1] if len(sys.argv) > 1 else "before_redesign"
    path = os.path.join(HERE, "fixtures", "optim", f"checkpoints_{tag}.npz")
    tg.save(make_fixtures(), path)
    print("wrote", path)
