"""A small typed registry: name -> entry, where unknown names fail by listing the known ones."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

from symnn.core.errors import SymnnError

T = TypeVar("T")


class Registry(Generic[T]):
    """Named entries of one kind, kept in registration order.

    Examples:
        >>> colours = Registry[int]("colour")
        >>> colours.add("red", 1)
        1
        >>> colours["red"]
        1
        >>> colours["blue"]
        Traceback (most recent call last):
        ...
        symnn.core.errors.SymnnError: unknown colour 'blue'; known: red
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}

    def add(self, name: str, entry: T) -> T:
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        self._entries[name] = entry
        return entry

    def __getitem__(self, name: str) -> T:
        try:
            return self._entries[name]
        except (KeyError, TypeError):
            known = ", ".join(self._entries)
            raise SymnnError(f"unknown {self.kind} {name!r}; known: {known}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def names(self) -> list[str]:
        return list(self._entries)
