"""What the runtime-flow tests proved in this session, for the one-line terminal summary."""

from __future__ import annotations

from collections import Counter

#: allowed, near_misses_denied, known_defects, unjustified_surplus, justified_surplus; "stacks" once per stack.
TALLY: Counter[str] = Counter()
STACKS_SEEN: set[str] = set()


def summary_line() -> str | None:
    if not STACKS_SEEN:
        return None
    known = f", {TALLY['known_defects']} known defects xfailed" if TALLY["known_defects"] else ""
    return (
        f"runtime flows: {'+'.join(sorted(STACKS_SEEN))} {TALLY['allowed']} flows allowed, "
        f"{TALLY['near_misses_denied']} near misses denied, {TALLY['unjustified_surplus']} unjustified surplus grants "
        f"({TALLY['justified_surplus']} justified){known}"
    )
