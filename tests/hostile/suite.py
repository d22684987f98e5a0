"""Every hostile case, for the test and the benchmark: the first round's (`cases`) and those
added since, one module per concern."""

from __future__ import annotations

from tests.hostile import cases, link_cases, low_cases, query_cases, review_cases
from tests.hostile.cases import Case

CASES: list[Case] = [
    *cases.CASES,
    *review_cases.CASES,
    *query_cases.CASES,
    *low_cases.CASES,
    *link_cases.CASES,
]
