"""Channel registry: the `omnipub.channels` entry-point group, loaded lazily.

Built-ins register through omnipub's own pyproject.toml exactly as a third-party package
would. Names are listed without importing anything; a clash names both distributions.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points

from .channel import Channel
from .diagnostics import UsageError

GROUP = "omnipub.channels"

#: Channels registered in-process (tests, embedding applications): name -> class
_extra: dict[str, type[Channel]] = {}


@dataclass(frozen=True)
class Registered:
    name: str
    distribution: str
    entry_point: EntryPoint | None = None
    cls: type[Channel] | None = None

    def load(self) -> type[Channel]:
        if self.cls is not None:
            return self.cls
        assert self.entry_point is not None
        loaded = self.entry_point.load()
        if not (isinstance(loaded, type) and issubclass(loaded, Channel)):
            raise UsageError(
                f"entry point {self.entry_point.value!r} of {self.distribution} is not a Channel",
                "a channel is a subclass of omnipub.channel.Channel",
            )
        return loaded


def register(cls: type[Channel]) -> None:
    """Register a channel class in-process, as its entry point would."""
    _extra[cls.name] = cls


def unregister(name: str) -> None:
    _extra.pop(name, None)


def available() -> dict[str, Registered]:
    """All channel names, without importing any channel code."""
    found: dict[str, Registered] = {}
    for ep in sorted(entry_points(group=GROUP), key=lambda e: (e.name, e.value)):
        dist = ep.dist.name if ep.dist else "unknown distribution"
        if ep.name in found and found[ep.name].distribution != dist:
            raise UsageError(
                f"channel {ep.name!r} is registered by both {found[ep.name].distribution} "
                f"and {dist}",
                "uninstall one of the two packages",
            )
        found[ep.name] = Registered(ep.name, dist, ep)
    for name, cls in _extra.items():
        found[name] = Registered(name, cls.__module__, cls=cls)
    return found


def load(name: str) -> type[Channel]:
    registered = available()
    if name not in registered:
        raise UsageError(
            f"unknown channel {name!r}",
            f"available channels: {', '.join(sorted(registered)) or 'none'}",
        )
    return registered[name].load()
