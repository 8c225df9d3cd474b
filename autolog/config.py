"""Every option of autolog, defined once.

An option is reachable three ways, always under the same name:

* Python: ``autolog.enable(store="/data/runs", format="onnx")``
* environment: ``AUTOLOG_STORE=/data/runs AUTOLOG_FORMAT=onnx``
* command line: ``autolog run --store /data/runs --format onnx -- python train.py``

Precedence: keyword argument, then environment variable, then default. Values from the
environment and the command line are strings and are parsed by the option's type; keyword
arguments may be given as strings or as already typed values.

The active configuration is held here too (:func:`current`, :func:`effective`): every module
reads it from this leaf, so none needs :mod:`autolog.activation`, which sets it.
"""

from __future__ import annotations

import os

from autolog.errors import ConfigError

# This module runs at interpreter start-up under AUTOLOG=1: it imports nothing heavier than os
# (no dataclasses, typing, json or difflib until they are needed).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from typing import Any

__all__ = ["OPTIONS", "Config", "Option", "current", "effective", "env_name", "resolve",
           "set_current", "unknown_env_names"]

ENV_PREFIX = "AUTOLOG_"
# Variables with the prefix that are not options: the on-switch itself and internal ones.
_NON_OPTION_ENV = {"AUTOLOG", "AUTOLOG_WORKER", "AUTOLOG_PARENT_PID", "AUTOLOG_SOURCE_NAME"}

# The shortest interval between system metrics samples (a shorter one would busy the CPU).
MIN_SYSTEM_METRICS_INTERVAL_S = 0.05

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("expected one of 1/0, true/false, yes/no, on/off")


def _parse_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("expected an integer, got a boolean")
    return int(value)


def _parse_float(value: Any) -> float:
    return float(value)


def _parse_str(value: Any) -> str:
    if not isinstance(value, (str, os.PathLike)):
        raise ValueError(f"expected a string, got {type(value).__name__}")
    return os.fspath(value)


def _parse_optional_str(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return _parse_str(value)


def _parse_list(value: Any) -> tuple[str, ...]:
    """A comma-separated string or an iterable of strings."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return tuple(str(part) for part in value)


def _parse_mapping(value: Any) -> dict[str, Any]:
    """A dict, or a JSON object given as a string."""
    from collections.abc import Mapping

    if value is None or value == "":
        return {}
    if isinstance(value, str):
        import json

        value = json.loads(value)
    if not isinstance(value, Mapping):
        raise ValueError("expected a mapping (a JSON object in the environment)")
    return {str(k): v for k, v in value.items()}


def _parse_mode(value: Any) -> str:
    """``on``/``off``/``auto``; booleans and their usual spellings mean on and off."""
    if isinstance(value, bool):
        return "on" if value else "off"
    text = str(value).strip().lower()
    if text == "auto":
        return text
    if text in _TRUE:
        return "on"
    if text in _FALSE - {""}:
        return "off"
    raise ValueError("expected on, off or auto")


def _parse_interval(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("expected a number of seconds, got a boolean")
    seconds = float(value)
    if not seconds >= MIN_SYSTEM_METRICS_INTERVAL_S or seconds == float("inf"):
        raise ValueError(f"expected a number of seconds >= {MIN_SYSTEM_METRICS_INTERVAL_S}")
    return seconds


def _parse_any(value: Any) -> Any:
    return value


class Option:
    """One option: its name, parser, default, allowed choices and documentation."""

    __slots__ = ("choices", "default", "doc", "from_env", "name", "parse")

    def __init__(self, name: str, parse: Callable[[Any], Any], default: Any, doc: str,
                 choices: tuple[str, ...] = (), from_env: bool = True) -> None:
        self.name = name
        self.parse = parse
        self.default = default
        self.doc = doc
        self.choices = choices
        # False for options that only make sense as Python objects (a signature, an example).
        self.from_env = from_env

    def __repr__(self) -> str:
        return f"Option({self.name!r}, default={self.default!r})"

    @property
    def env(self) -> str:
        return env_name(self.name)

    def convert(self, value: Any, source: str) -> Any:
        """Parse ``value``; raise :class:`ConfigError` naming the source and the choices."""
        try:
            parsed = self.parse(value)
        except (TypeError, ValueError) as exc:
            raise ConfigError(
                f"{source}={value!r} is not valid for option {self.name!r}: {exc}."
                f"{self._choices_hint()}"
            ) from exc
        if self.choices and parsed not in self.choices:
            raise ConfigError(
                f"{source}={value!r} is not valid for option {self.name!r}.{self._choices_hint()}"
            )
        return parsed

    def _choices_hint(self) -> str:
        return f" Valid choices: {', '.join(self.choices)}." if self.choices else ""


def env_name(option: str) -> str:
    """The environment variable of an option: ``store`` -> ``AUTOLOG_STORE``."""
    return ENV_PREFIX + option.upper()


def default_store() -> str:
    """The default store: ``~/.autolog`` (``$AUTOLOG_HOME`` is not an option; use ``store``)."""
    return os.path.join(os.path.expanduser("~"), ".autolog")


_OPTION_LIST = [
    Option("store", _parse_str, None, "Where runs go: a folder path, file:// or http(s):// URI. "
           "Default ~/.autolog."),
    Option("offline_store", _parse_optional_str, None,
           "Local folder for runs while a remote store cannot be reached (send them later with "
           "'autolog sync'). Default ~/.autolog."),
    Option("experiment", _parse_str, "Default", "Experiment that new runs belong to."),
    Option("format", _parse_str, "pickle", "Model serialization format.",
           choices=("pickle", "onnx", "both")),
    Option("log_models", _parse_bool, True, "Write a model folder for every trained model."),
    Option("log_signature", _parse_bool, True, "Infer and record the input/output signature."),
    Option("log_input_example", _parse_bool, True, "Save the first rows of training input."),
    Option("log_metrics", _parse_bool, True, "Compute training metrics after each fit."),
    Option("log_datasets", _parse_bool, True, "Record a fingerprint of the training data."),
    Option("log_post_training_metrics", _parse_bool, True,
           "Log metrics computed on an autologged model's predictions after its fit "
           "(model.score, sklearn.metrics, scorers) to its run, as <metric>_<dataset>."),
    Option("log_system_metrics", _parse_mode, "auto",
           "CPU, memory, disk, network and GPU use every system_metrics_interval seconds: on "
           "(every run), off, or auto (PyTorch runs, and other runs lasting one interval).",
           choices=("auto", "on", "off")),
    Option("system_metrics_interval", _parse_interval, 10.0,
           "Seconds between system metrics samples (each run also gets one at its start and "
           "one at its end)."),
    Option("log_git_diff", _parse_bool, True,
           "Keep a dirty working tree's uncommitted changes (code/diff.patch) and its list of "
           "untracked files (code/untracked.txt)."),
    Option("input_example_rows", _parse_int, 5, "Rows kept for the input example."),
    Option("max_tuning_runs", _parse_int, 5,
           "Child runs logged for the best candidates of a hyperparameter search."),
    Option("max_param_length", _parse_int, 500, "Longest parameter value kept, in characters."),
    Option("disabled_integrations", _parse_list, (),
           "Integrations not to load, comma-separated; '*' disables all."),
    Option("extra_pip_requirements", _parse_list, (),
           "Requirements added to requirements.txt of every model folder."),
    Option("metadata", _parse_mapping, {}, "Extra keys for the MLmodel 'metadata' section."),
    Option("signature", _parse_any, None,
           "A signature (autolog.Signature or MLflow dict) used instead of the inferred one.",
           from_env=False),
    Option("input_example", _parse_any, None,
           "An input example used instead of the first training rows.", from_env=False),
    Option("registered_model_name", _parse_optional_str, None,
           "Register every logged model under this name."),
    Option("onnx_opset", _parse_int, 18, "Target ONNX opset for converted models."),
    Option("onnx_tolerance", _parse_float, 1e-4,
           "ONNX parity tolerance: each output value must satisfy |onnx - native| <= "
           "tolerance * max(1, |native|) (absolute below 1, relative above)."),
    Option("async_logging", _parse_bool, True,
           "Write on the background writer (False writes on the training thread)."),
    Option("silent", _parse_bool, False, "Suppress autolog's warnings."),
    Option("testing", _parse_bool, False,
           "Raise internal errors instead of warning (for autolog's own tests)."),
]

OPTIONS: dict[str, Option] = {opt.name: opt for opt in _OPTION_LIST}


class Config:
    """A resolved, immutable set of option values (attribute access by option name)."""

    __slots__ = ("values",)
    values: Mapping[str, Any]

    def __init__(self, values: Mapping[str, Any] | None = None) -> None:
        object.__setattr__(self, "values", dict(values or {}))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Config is immutable; use replace() to change {name!r}")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Config) and self.values == other.values

    __hash__ = None  # type: ignore[assignment]  # the values are not hashable

    def __repr__(self) -> str:
        return f"Config(values={dict(self.values)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Config, (dict(self.values),))

    def __getattr__(self, name: str) -> Any:
        if name == "values":  # not set yet (copy, unpickling): no recursion
            raise AttributeError(name)
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    def replace(self, **changes: Any) -> Config:
        """A copy with some options changed (validated like :func:`resolve`)."""
        merged = dict(self.values)
        merged.update(_check_kwargs(changes))
        return Config(merged)

    @property
    def store_uri(self) -> str:
        return self.values.get("store") or default_store()

    def as_dict(self) -> dict[str, Any]:
        return dict(self.values)


def _suggest(name: str, candidates: Iterable[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(candidates), n=1)
    return f" Did you mean {close[0]!r}?" if close else ""


def _check_kwargs(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in kwargs.items():
        option = OPTIONS.get(key)
        if option is None:
            raise ConfigError(
                f"Unknown option {key!r}.{_suggest(key, OPTIONS)} "
                f"Valid options: {', '.join(sorted(OPTIONS))}."
            )
        out[key] = option.convert(value, key)
    return out


def resolve(kwargs: Mapping[str, Any] | None = None,
            environ: Mapping[str, str] | None = None) -> Config:
    """Build a :class:`Config` from keyword arguments, the environment and defaults.

    Parameters:
        kwargs: option values given in Python (or from the CLI).
        environ: the environment to read ``AUTOLOG_<OPTION>`` from; ``os.environ`` by default.

    Returns:
        The resolved :class:`Config`.

    Raises:
        ConfigError: an unknown option name or a value that does not parse; the message names
            the option (or the environment variable), the value and the valid choices.
    """
    environ = os.environ if environ is None else environ
    values = {name: opt.default for name, opt in OPTIONS.items()}
    for name, opt in OPTIONS.items():
        if opt.from_env and opt.env in environ:
            values[name] = opt.convert(environ[opt.env], opt.env)
    values.update(_check_kwargs(kwargs or {}))
    return Config(values)


# The configuration of the enable() in force; None while autolog is off.
_current: Config | None = None


def current() -> Config | None:
    """The active configuration (set by :func:`autolog.enable`), or None when autolog is off."""
    return _current


def effective() -> Config:
    """The active configuration, or one resolved from the environment when autolog is off."""
    config = _current
    return config if config is not None else resolve()


def set_current(config: Config | None) -> None:
    """Make ``config`` the active configuration (None: autolog is off). Only
    :mod:`autolog.activation` calls this, under its lock."""
    global _current
    _current = config


def unknown_env_names(environ: Mapping[str, str] | None = None) -> list[str]:
    """Warnings for ``AUTOLOG_*`` variables that are not options, each with a suggestion."""
    environ = os.environ if environ is None else environ
    known = {opt.env for opt in OPTIONS.values() if opt.from_env} | _NON_OPTION_ENV
    messages = []
    for key in sorted(environ):
        if key.startswith(ENV_PREFIX) and key not in known:
            messages.append(
                f"Unknown environment variable {key}; it is ignored.{_suggest(key, known)}")
    return messages
