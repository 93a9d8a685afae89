"""Pausing Python's cyclic garbage collector while a command builds many small objects.

Only the command line uses it: it owns its process. The library never pauses the
collector (that would change the behaviour of a host running threads or Dask).

Imports: the standard library only.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["paused_gc"]


@contextmanager
def paused_gc() -> Iterator[None]:
    """Run the block with the cyclic garbage collector paused (reference counting still
    frees memory as usual).

    Loading a large pathway creates hundreds of thousands of small objects (YAML values,
    then models, then cost lines) and none of them is garbage yet, so the collector's
    repeated passes over them are wasted time: about a fifth of the load. The collector
    is turned back on afterwards, unless the caller had turned it off.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
