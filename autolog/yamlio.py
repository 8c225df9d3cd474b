"""YAML through libyaml's C dumper and loader when PyYAML was built with them (10x faster)."""

from __future__ import annotations

from typing import Any, TextIO

__all__ = ["dump", "load"]


def dump(data: Any, stream: TextIO | None = None, sort_keys: bool = True) -> Any:
    """``yaml.safe_dump`` in block style; returns the text when ``stream`` is None."""
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(data, stream, Dumper=dumper, default_flow_style=False, sort_keys=sort_keys)


def load(stream: Any) -> Any:
    """``yaml.safe_load``."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(stream, Loader=loader)  # noqa: S506 - a safe loader
