"""glibc malloc tuning for the training and sampling loops."""

import ctypes
import functools


@functools.cache  # a process-wide setting: once is enough
def keep_freed_memory() -> None:
    """Ask glibc to keep freed memory instead of returning it to the OS.

    Each training or sampling step frees and reallocates the same large buffers; with the
    default thresholds every step page-faults them in again. Keeping them gave 1.45x
    training throughput at 2x512 here (bench/train_speed.py, ``malloc_tuning``).
    A no-op off glibc.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    libc.mallopt(-3, 1 << 30)  # M_MMAP_THRESHOLD: serve big blocks from the heap
    libc.mallopt(-1, 1 << 31)  # M_TRIM_THRESHOLD: do not give the heap back
