"""What every benchmark prints first: the machine and numpy's BLAS configuration."""
import os
import platform

import numpy as np


def describe_machine(optimizer_and_torch=True):
    """A few lines naming the CPU count, Python, numpy, BLAS and its threads (threadpoolctl);
    and the optimizer update path and torch, unless `optimizer_and_torch` is False (for a
    benchmark that uses neither: loading numba and torch adds ~200,000 live objects, which the
    garbage collector then scans again and again while an autograd benchmark builds graphs)."""
    lines = [f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
             f"numpy {np.__version__}"]
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        lines.append("BLAS (pip install threadpoolctl to show its threads): " + ", ".join(_blas_from_numpy()))
    else:
        for pool in threadpool_info():
            lines.append(f"{pool.get('user_api')}: {pool.get('internal_api')} {pool.get('version')}, "
                         f"{pool.get('num_threads')} threads ({os.path.basename(pool.get('filepath', ''))})")
    if not optimizer_and_torch:
        return "\n".join(lines)
    try:
        from tinygrad_opt.optim import kernels
        lines.append(f"tinygrad_opt optimizer updates: {kernels.backend()} "
                     + ("(fused numba kernels)" if kernels.backend() == "numba" else
                        '(pip install "tinygrad_opt[fast]" for the fused kernels)'))
    except ImportError:
        pass
    try:
        import torch
        lines.append(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    except ImportError:
        lines.append("torch: not installed (the torch column is skipped)")
    return "\n".join(lines)


def _blas_from_numpy():
    try:
        config = np.show_config(mode="dicts")
    except TypeError:  # numpy < 1.26 can only print its configuration
        return ["(see numpy.show_config())"]
    dependencies = config.get("Build Dependencies", {})
    return [f"{name} {info.get('name')} {info.get('version', '')}".rstrip()
            for name, info in dependencies.items() if isinstance(info, dict)] or ["(no BLAS information)"]
