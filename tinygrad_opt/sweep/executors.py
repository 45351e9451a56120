"""Where trials run: in this process, in a pool of local processes, or on a Dask cluster.

Every executor has one method, `run(trials, target)`, yielding `(trial, result)` pairs as the
trials finish (in any order), and is a context manager that frees its workers on exit. The
sweep writes each result to its database as soon as it is yielded, in this process only, so
the database never needs to be reachable from a worker.

    with ProcessPool(jobs=2) as pool:
        for trial, result in pool.run(trials):
            ...
"""
import collections
import multiprocessing
import os
import queue
import signal
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from .trial import run_trial

__all__ = ["InProcess", "ProcessPool", "DaskCluster", "make_executor", "WorkerLostError"]


class WorkerLostError(RuntimeError):
    """A trial's worker process died every time it ran (killed, out of memory, a crash), so the
    trial was given up; the other trials are stored."""

    @classmethod
    def gave_up(cls, trials, attempts):
        named = "; ".join(f"{trial.label} lr={trial.lr:g} seed {trial.seed} (key {trial.key})" for trial in trials)
        return cls(f"gave up {named}: the worker process running it died {attempts} times. The other "
                   f"trials are stored. It may need more memory than a worker has, or crash the process: "
                   f"try it alone with --jobs 1 to see its error")


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

    A worker that dies (killed, out of memory) breaks a `concurrent.futures` pool, and the
    pool ends the other workers' trials with it. So at most `jobs` trials are ever handed out,
    one per worker, and the trials cut short are run again on a fresh pool — each alone
    first, so a trial that kills its worker is told apart from the ones beside it. As on a
    Dask cluster, a trial whose worker died under it more than `allowed_failures` times is
    given up: the others still run and are stored, then `run` raises WorkerLostError naming it.
    """

    def __init__(self, jobs=None, allowed_failures=3):
        if jobs is None:
            jobs = os.cpu_count() or 1
        if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
            raise ValueError(f"jobs must be a positive integer, got {jobs!r}")
        if isinstance(allowed_failures, bool) or not isinstance(allowed_failures, int) or allowed_failures < 0:
            raise ValueError(f"allowed_failures must be an integer >= 0, got {allowed_failures!r}")
        self.jobs = jobs
        self.allowed_failures = allowed_failures
        self.description = f"on {jobs} local worker process{'es' if jobs > 1 else ''}"
        self._pool = self._new_pool()
        self._abandoned = False

    def _new_pool(self):
        return ProcessPoolExecutor(max_workers=self.jobs, mp_context=_worker_context(),
                                   initializer=_start_worker, initargs=(os.getpid(),))

    def run(self, trials, target=None):
        fresh = collections.deque(trials)   # never handed out
        suspects = collections.deque()      # running when a worker died: run again, one at a time
        deaths = collections.Counter()      # trial key → workers that died while it ran
        given_up = []
        running = {}                        # future → trial
        finished = False
        try:
            while fresh or suspects or running:
                broken = self._hand_out(running, fresh, suspects, deaths, target)
                done = set()
                if running:
                    done, _ = wait(running, return_when=FIRST_COMPLETED)
                    if any(_lost(future) for future in done):
                        # A broken pool fails every future it holds at once: take them all now.
                        done, _ = wait(running)
                results = []
                for future in done:
                    trial = running.pop(future)
                    if not _lost(future):
                        results.append((trial, future))
                        continue
                    broken = True
                    deaths[trial.key] += 1
                    if deaths[trial.key] > self.allowed_failures:
                        given_up.append(trial)
                    else:
                        suspects.append(trial)
                if broken:
                    self._pool.shutdown(wait=True)
                    self._pool = self._new_pool()
                else:  # the freed workers start on their next trials while these are stored
                    self._hand_out(running, fresh, suspects, deaths, target)
                for trial, future in results:
                    yield trial, future.result()
            finished = True
        finally:
            for future in running:
                future.cancel()
            # Stopped early (Ctrl-C, an error): what the workers are running would never be stored.
            self._abandoned = not finished
        if given_up:
            raise WorkerLostError.gave_up(given_up, self.allowed_failures + 1)

    def close(self):
        if self._abandoned:
            # concurrent.futures has no public way to stop a running call before Python 3.14.
            for process in list((self._pool._processes or {}).values()):
                process.terminate()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _hand_out(self, running, fresh, suspects, deaths, target):
        """Submit trials until each worker has one, except that a trial that was running when a
        worker died runs alone. True when the pool turned out to be broken (a worker died idle)."""
        while len(running) < self.jobs and (fresh or suspects):
            if (suspects and running) or any(deaths[trial.key] for trial in running.values()):
                return False
            source = suspects if suspects else fresh
            trial = source.popleft()
            try:
                running[self._pool.submit(run_trial, trial, target)] = trial
            except BrokenProcessPool:
                source.appendleft(trial)
                return True
        return False


def _lost(future):
    """Whether `future` failed because its worker process died."""
    return isinstance(future.exception(), BrokenProcessPool)


def _start_worker(parent):
    """In each worker as it starts: leave Ctrl-C to the sweep's process `parent`, which stops
    the workers itself (an idle worker would only print a traceback), and exit when it is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with(parent)


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
        from distributed import KilledWorker

        trials = list(trials)
        futures = [self._client.submit(run_trial, trial, target, key=f"tinygrad-opt-trial-{trial.key}-{target}")
                   for trial in trials]
        by_key = {future.key: trial for future, trial in zip(futures, trials)}
        finished = queue.SimpleQueue()
        for future in futures:
            future.add_done_callback(finished.put)
        given_up = []
        try:
            for _ in futures:
                future = finished.get()
                try:
                    result = future.result()
                except KilledWorker:
                    # The scheduler ran it `allowed-failures` + 1 times and every worker died:
                    # give this one up, as the local pool does, and let the others finish.
                    given_up.append(by_key[future.key])
                    continue
                # The cluster may forget it now: were the worker holding it lost later, the
                # scheduler would run the trial again only to hold its result once more.
                future.release()
                yield by_key[future.key], result
        finally:
            self._client.cancel([future for future in futures if not future.done()])
        if given_up:
            import dask
            raise WorkerLostError.gave_up(given_up, dask.config.get("distributed.scheduler.allowed-failures") + 1)

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
