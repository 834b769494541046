"""Split long key lists so one IN (...) never exceeds a driver's parameter limit."""

from __future__ import annotations

from typing import Iterable, Iterator, Sequence, TypeVar

T = TypeVar("T")

#: Default IN-list size: the specs' largest batch (CAS APIs 1-2) fits in one query.
DEFAULT_CHUNK_SIZE = 500


def unique(items: Iterable[T]) -> list[T]:
    """Return ``items`` without duplicates, first occurrence order kept."""
    return list(dict.fromkeys(items))


def chunked(items: Sequence[T], size: int = DEFAULT_CHUNK_SIZE) -> Iterator[Sequence[T]]:
    """Yield consecutive slices of ``items`` of at most ``size`` elements."""
    if size < 1:
        raise ValueError("chunk size must be at least 1")
    for start in range(0, len(items), size):
        yield items[start:start + size]
