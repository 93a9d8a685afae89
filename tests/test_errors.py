"""The error tree's text: one line a problem, at most MAX_LISTED listed, the rest counted."""

from __future__ import annotations

from hypothesis import given, strategies as st

from careprofiles.errors import MAX_LISTED, Problem, ValidationError, more_problems


@given(st.integers(1, 3 * MAX_LISTED))
def test_an_error_lists_at_most_max_listed_problems_and_counts_the_rest(n: int) -> None:
    problems = [Problem("t.csv", line, "cost", "is negative") for line in range(2, n + 2)]
    error = ValidationError(problems)
    assert error.problems == tuple(problems)  # every one, for programs
    lines = str(error).splitlines()
    if n == 1:
        assert lines == ["t.csv:2: cost: is negative"]
        return
    assert lines[0] == f"{n:,} problems:"
    listed = [line for line in lines[1:] if line.startswith("  t.csv:")]
    if n <= MAX_LISTED + 1:  # counting one would take the line that lists it
        assert len(listed) == n
        assert len(lines) == n + 1
    else:
        assert len(listed) == MAX_LISTED
        assert lines[-1] == f"  {more_problems(n - MAX_LISTED)}"
        assert f"and {n - MAX_LISTED:,} more problems" in lines[-1]
    assert listed == [f"  {p}" for p in problems[: len(listed)]]  # the first, in order


def test_the_count_names_where_the_rest_are() -> None:
    assert more_problems(1234, "activity records").startswith(
        "and 1,234 more problems in the activity records, not listed; "
    )
