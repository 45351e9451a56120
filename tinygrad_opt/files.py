"""`atomic_write(path)`: the one way tinygrad_opt writes a file.

    with atomic_write("checkpoint.npz") as file:    # a binary file object
        np.savez(file, **arrays)

The bytes go to a temporary file beside the target, which is flushed to disk and renamed over
the target in one step (`os.replace`) only when the block ends without an error. So:

- a reader sees the old file or the new one, never half of one; an error (or Ctrl-C) inside
  the block leaves the old file as it was and removes the temporary;
- a symlink stays a link: its target is written, with the temporary in the target's folder
  (a rename cannot cross file systems);
- the new file keeps the old one's permission bits (a new file gets the usual 0666 − umask);
- a temporary left by a writer that was killed outright (SIGKILL, power loss) is removed by
  the next write to the same target: its name carries the writer's process id, and one whose
  process is gone is stale;
- errors name the caller's path, never the temporary (`cannot write 'out/x.npz': the folder
  'out' does not exist`).

`path` may be a str, bytes or os.PathLike.
"""
import contextlib
import errno
import os
import tempfile

__all__ = ["atomic_write"]

_SUFFIX = ".tmp"


@contextlib.contextmanager
def atomic_write(path):
    """Open a temporary binary file for writing; on success it replaces `path` atomically."""
    shown = os.fsdecode(path)  # the name the caller gave, for messages
    target = os.path.realpath(shown)  # through symlinks: the link stays, its target is written
    folder, name = os.path.split(target)
    if os.path.isdir(target):
        raise IsADirectoryError(errno.EISDIR, f"cannot write {shown!r}: it is a directory")
    if not os.path.isdir(folder):
        where = (f"its target {target!r} is in a folder that" if os.path.islink(shown) else
                 f"the folder {os.path.dirname(shown) or '.'!r}")
        raise FileNotFoundError(errno.ENOENT, f"cannot write {shown!r}: {where} does not exist")
    _remove_stale_temporaries(folder, name)
    try:
        descriptor, temporary = tempfile.mkstemp(prefix=_prefix(name) + f"{os.getpid()}.", suffix=_SUFFIX,
                                                 dir=folder)
    except OSError as error:
        raise type(error)(error.errno, f"cannot write {shown!r}: {error.strerror}") from None
    try:
        with os.fdopen(descriptor, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, _mode_for(target))  # mkstemp makes the file private (0600)
        os.replace(temporary, target)
    except BaseException as error:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        if isinstance(error, OSError) and error.filename == temporary:
            raise type(error)(error.errno, f"cannot write {shown!r}: {error.strerror}") from None
        raise
    _fsync_directory(folder)


def _prefix(name):
    return f".{name}."


def _mode_for(target):
    try:
        return os.stat(target).st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _remove_stale_temporaries(folder, name):
    """Delete `.NAME.PID.*.tmp` files beside NAME whose writing process no longer exists."""
    prefix = _prefix(name)
    try:
        entries = os.listdir(folder)
    except OSError:
        return
    for entry in entries:
        if not (entry.startswith(prefix) and entry.endswith(_SUFFIX)):
            continue
        pid = entry[len(prefix):].split(".", 1)[0]
        if pid.isdigit() and not _process_exists(int(pid)):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(folder, entry))


def _process_exists(pid):
    if pid == os.getpid() or os.name == "nt":  # another thread of ours; on Windows os.kill would kill
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's process, or a platform without signals: keep the file
    return True


def _fsync_directory(folder):
    """Make the rename itself durable (POSIX); harmless where directories can't be opened."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
