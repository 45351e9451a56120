"""What every benchmark prints first: the machine and numpy's BLAS configuration."""
import os
import platform

import numpy as np


def describe_machine():
    """A few lines naming the CPU count, Python, numpy, BLAS and its threads (threadpoolctl)."""
    lines = [f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
             f"numpy {np.__version__}"]
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        lines.append("BLAS: (pip install threadpoolctl to show the BLAS library and its threads)")
    else:
        for pool in threadpool_info():
            lines.append(f"{pool.get('user_api')}: {pool.get('internal_api')} {pool.get('version')}, "
                         f"{pool.get('num_threads')} threads ({os.path.basename(pool.get('filepath', ''))})")
    try:
        import torch
        lines.append(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    except ImportError:
        lines.append("torch: not installed (the torch column is skipped)")
    return "\n".join(lines)
