"""Keep a worker's memory flat: hand large freed blocks back to the operating system.

argon2id allocates 19 MiB per hash. glibc raises its mmap threshold after such a block is freed,
so later ones come from the heap and stay resident: one 19 MiB block per hashing thread. A fixed
threshold keeps them in mmap, returned on free (mallopt(3), M_MMAP_THRESHOLD). And every thread
that allocates (aiosqlite runs one per connection) would get a malloc arena of its own, each
keeping freed memory resident: two arenas are plenty for one event loop (M_ARENA_MAX).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import sys

__all__ = ["freeze_startup_objects", "return_large_blocks_to_os"]

_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8


def return_large_blocks_to_os(threshold: int = 1 << 20) -> bool:
    """Set glibc's mmap threshold; False where there is no glibc (macOS, musl, Windows)."""
    if not sys.platform.startswith("linux"):
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        libc.mallopt(_M_ARENA_MAX, 2)
        return bool(libc.mallopt(_M_MMAP_THRESHOLD, threshold))
    except (OSError, AttributeError):
        return False


def freeze_startup_objects() -> None:
    """Keep what start-up built out of every GC pass: it lives as long as the worker, and a full
    collection over it would stall requests (gc.freeze, CPython 3.7+)."""
    gc.collect()
    gc.freeze()
