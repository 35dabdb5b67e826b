"""A small name -> entry registry, shared by corruptions, perturbations and models (as timm does)."""

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from evaluators.errors import UnknownNameError

T = TypeVar("T")


class Registry(Generic[T]):
    """Ordered mapping from canonical names (and aliases) to entries, with a helpful unknown-name error."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}
        self._aliases: dict[str, str] = {}

    def add(self, name: str, entry: T, aliases: tuple[str, ...] = ()) -> T:
        if name in self._entries or name in self._aliases:
            raise ValueError(f"{self.kind} {name!r} registered twice")
        self._entries[name] = entry
        for alias in aliases:
            if alias in self._entries or alias in self._aliases:
                raise ValueError(f"{self.kind} alias {alias!r} registered twice")
            self._aliases[alias] = name
        return entry

    def register(self, name: str, aliases: tuple[str, ...] = ()) -> Callable[[T], T]:
        """Decorator form of `add`."""

        def decorate(entry: T) -> T:
            return self.add(name, entry, aliases)

        return decorate

    def canonical(self, name: str) -> str:
        if name in self._entries:
            return name
        if name in self._aliases:
            return self._aliases[name]
        raise UnknownNameError(f"unknown {self.kind} {name!r}; known: {', '.join(self._entries)}")

    def get(self, name: str) -> T:
        return self._entries[self.canonical(name)]

    def __contains__(self, name: object) -> bool:
        return name in self._entries or name in self._aliases

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def names(self) -> list[str]:
        return list(self._entries)

    def items(self) -> list[tuple[str, T]]:
        return list(self._entries.items())
