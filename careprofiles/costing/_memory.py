"""How much memory a run may use, and the refusal of a run of draws that would need more.

:func:`available_memory` is the memory this process can still have: the operating
system's estimate of what is available without swapping (``MemAvailable`` in
``/proc/meminfo`` on Linux; the physical memory elsewhere), capped by a container's
memory limit (cgroup v2 or v1) and by the address-space limit (``ulimit -v``) when there
is one. :func:`check_draws_fit` refuses, before anything is drawn, a number of draws
whose tables would not fit in it.

Imports: errors only.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from careprofiles.errors import Problem, ValidationError

__all__ = ["TABLE_COPIES", "TOO_MANY_DRAWS", "available_memory", "check_draws_fit"]

TABLE_COPIES = 5
"""Tables of draws a run holds at its peak, counted generously: the draws, the frame made
of them, the summary's sorted copy and the copy written out (1,000,000 draws of the
bundled pathway peak at about three)."""
TOO_MANY_DRAWS = "too-many-draws"
"""The :attr:`~careprofiles.errors.Problem.code` of a run refused for want of memory."""


def _read_number(path: str) -> int | None:
    """The whole number in a file such as ``/sys/fs/cgroup/memory.max`` (None if none)."""
    try:
        text = Path(path).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


def _mem_available() -> int | None:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text(encoding="ascii").splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    with contextlib.suppress(OSError, ValueError, AttributeError):
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return None


def _container_room() -> int | None:
    """What a container's memory limit leaves (cgroup v2, else v1); None without one."""
    for limit, usage in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        (
            "/sys/fs/cgroup/memory/memory.limit_in_bytes",
            "/sys/fs/cgroup/memory/memory.usage_in_bytes",
        ),
    ):
        most = _read_number(limit)
        if most is not None and most < 1 << 60:  # v1 writes "no limit" as a huge number
            return max(0, most - (_read_number(usage) or 0))
    return None


def _address_room() -> int | None:
    """What ``ulimit -v`` leaves of the address space (None without a limit)."""
    try:
        import resource  # POSIX only
    except ImportError:  # pragma: no cover - Windows
        return None
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return None
    used = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        used = int(Path("/proc/self/statm").read_text(encoding="ascii").split()[0])
        used *= os.sysconf("SC_PAGE_SIZE")
    return max(0, soft - used)


def available_memory() -> int | None:
    """Bytes of memory this process can still have, or None when it cannot be told."""
    known = [room for room in (_mem_available(), _container_room(), _address_room()) if room]
    return min(known) if known else None


def _size(n: float) -> str:
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20)):
        if n >= size:
            return f"{n / size:,.1f} {unit}"
    return f"{n / 1024:,.0f} KB"


def check_draws_fit(draws: int, figures: int, working: int) -> None:
    """Refuse ``draws`` draws of ``figures`` numbers each (and ``working`` bytes of
    working arrays) when their tables would not fit in :func:`available_memory`."""
    available = available_memory()
    per_draw = 8 * figures * TABLE_COPIES
    need = draws * per_draw + working
    if available is None or need <= available:
        return
    most = max(0, (available - working) // per_draw)
    raise ValidationError(
        [
            Problem(
                None,
                None,
                "draws",
                f"{draws:,} draws would need about {_size(need)} of memory (a table of "
                f"{figures} figures a draw, {TABLE_COPIES} times over while it is summarised "
                f"and written), more than the {_size(available)} available; make fewer draws: "
                f"about {most:,} at most here",
                TOO_MANY_DRAWS,
            )
        ]
    )
