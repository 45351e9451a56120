"""Where trials run: in this process, in a pool of local processes, or on a Dask cluster.

Every executor has one method, `run(trials, target)`, yielding `(trial, result)` pairs as the
trials finish (in any order), and is a context manager that frees its workers on exit. The
sweep writes each result to its database as soon as it is yielded, in this process only, so
the database never needs to be reachable from a worker.

    with ProcessPool(jobs=2) as pool:
        for trial, result in pool.run(trials):
            ...
"""
import multiprocessing
import os
import queue
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool

from .trial import run_trial

__all__ = ["InProcess", "ProcessPool", "DaskCluster", "make_executor", "WorkerLostError"]


class WorkerLostError(RuntimeError):
    """A local worker process died (killed, out of memory); the trials it had are not stored."""


class InProcess:
    """Run the trials one after another in this process: the plain loop."""

    description = "in this process"

    def run(self, trials, target=None):
        for trial in trials:
            yield trial, run_trial(trial, target)

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


class ProcessPool(InProcess):
    """Run the trials on `jobs` local worker processes (`concurrent.futures`).

    Workers are forked from a clean server process that has already imported numpy, numba and
    tinygrad_opt ("forkserver"; "spawn" where there is none), so nothing of this process
    (threads, open files, a Dask client) is copied into them and each starts in a moment.
    They live until `close()`, so several `run` calls share them.
    """

    def __init__(self, jobs=None):
        if jobs is None:
            jobs = os.cpu_count() or 1
        if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
            raise ValueError(f"jobs must be a positive integer, got {jobs!r}")
        self.jobs = jobs
        self.description = f"on {jobs} local worker process{'es' if jobs > 1 else ''}"
        self._pool = ProcessPoolExecutor(max_workers=jobs, mp_context=_worker_context(),
                                         initializer=_exit_with, initargs=(os.getpid(),))
        self._abandoned = False

    def run(self, trials, target=None):
        futures = {self._pool.submit(run_trial, trial, target): trial for trial in trials}
        try:
            for future in as_completed(futures):
                try:
                    result = future.result()
                except BrokenProcessPool:
                    raise WorkerLostError("a worker process died; the trials finished so far are stored: "
                                          "run the same sweep again to run the rest") from None
                yield futures[future], result
        finally:
            for future in futures:
                future.cancel()
            # Stopped early (Ctrl-C, an error): what the workers are running would never be stored.
            self._abandoned = not all(future.done() for future in futures)

    def close(self):
        if not self._abandoned:
            self._pool.shutdown(wait=True)
            return
        # concurrent.futures has no public way to stop a running call before Python 3.14.
        processes = list((self._pool._processes or {}).values())
        self._pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        for process in processes:
            process.join()


def _exit_with(parent, interval=1.0):
    """In a worker: exit as soon as the sweep's process `parent` is gone (killed, crashed),
    instead of finishing trials nobody will store."""
    def watch():
        while True:
            time.sleep(interval)
            try:
                os.kill(parent, 0)
            except ProcessLookupError:
                os._exit(1)

    threading.Thread(target=watch, daemon=True, name="exit-with-the-sweep").start()


def _worker_context():
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["tinygrad_opt.sweep.trial", "numba"])  # one missing is skipped
    return context


class DaskCluster(InProcess):
    """Run the trials on a Dask distributed cluster whose scheduler is at `address`.

    Each trial is one task, named after the trial's key. When a worker is lost in the middle
    of a trial, the scheduler runs that trial again on another worker (Dask's own recovery,
    up to `distributed.scheduler.allowed-failures` times), so each trial still yields once.
    The workers need tinygrad_opt (and its data) installed; nothing else is sent but the trial.
    """

    def __init__(self, address, timeout=30):
        try:
            from distributed import Client
        except ImportError as error:
            raise ImportError('running on a Dask cluster needs dask.distributed: '
                              'pip install "tinygrad_opt[distributed]"') from error
        try:
            self._client = Client(address, timeout=timeout, set_as_default=False)
        except OSError as error:
            raise ConnectionError(f"cannot reach the Dask scheduler at {address}: {error}") from None
        workers = len(self._client.scheduler_info().get("workers", {}))
        self.description = f"on the Dask cluster at {address} ({workers} worker{'s' if workers != 1 else ''} now)"

    def run(self, trials, target=None):
        trials = list(trials)
        futures = [self._client.submit(run_trial, trial, target, key=f"tinygrad-opt-trial-{trial.key}-{target}")
                   for trial in trials]
        by_key = {future.key: trial for future, trial in zip(futures, trials)}
        finished = queue.SimpleQueue()
        for future in futures:
            future.add_done_callback(finished.put)
        try:
            for _ in futures:
                future = finished.get()
                yield by_key[future.key], future.result()
        finally:
            self._client.cancel([future for future in futures if not future.done()])

    def close(self):
        self._client.close()


def make_executor(jobs=None, scheduler=None):
    """A DaskCluster when `scheduler` is an address; else InProcess for `jobs=1`, a ProcessPool
    of `jobs` workers otherwise (default: one per core)."""
    if scheduler is not None:
        return DaskCluster(scheduler)
    if jobs is None:
        jobs = os.cpu_count() or 1
    return InProcess() if jobs == 1 else ProcessPool(jobs)
