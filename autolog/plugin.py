"""The public plugin contract: everything an integration may use from autolog, in one place.

An integration (the built-in ones under ``integrations/`` exactly like a third party's) imports
from this module and from nowhere else in ``autolog``; the names here keep their meaning across
releases. ``docs/writing-an-integration.md`` walks through a whole plugin.

Patching a framework
    :class:`Integration` (subclass it; register it under the entry-point group
    ``autolog.integrations``, named after the framework's import name), :class:`Target` (what
    it wraps, declared in ``Integration.targets``), :class:`PatchSet`
    (``self.patches``: every patch and every framework hook handle, undone together),
    :func:`recorded_call` (the safety of a patched training call: pass-through when off or
    nested, user exceptions unchanged, autolog's failures one warning), :func:`should_record`,
    :func:`recording`, :func:`suspended`, and the module :mod:`patching <autolog.patching>`
    for the rest (``wrap_decorated``, ``on_subclass``, ``caller_module`` ...).
Recording a run
    :class:`ActiveRun`, :func:`active_run`, :data:`FINISHED`, :data:`FAILED`, :data:`KILLED`,
    :func:`effective_config` (the options in force) / :func:`current_config` /
    :func:`is_enabled` / :class:`Config`, the helper modules
    :mod:`params <autolog.params>` (flattening parameters), :mod:`datasets <autolog.datasets>`
    (example rows, fingerprints), :mod:`writer <autolog.writer>` (``writer.training()``,
    background jobs), :mod:`safety <autolog.safety>` (``guard``, ``internal_error``, ``warn``),
    :mod:`heldout <autolog.heldout>` and :mod:`varnames <autolog.varnames>` (post-training
    metrics), :func:`prepare_system_metrics` (warm the system-metrics probe while the framework
    is imported), :class:`AutologWarning`.
Writing a model folder
    :class:`Flavor`, :class:`ModelCapture`, :class:`NotRecorded`, :func:`write_captured_model`,
    :func:`flavor_for` (the flavor the integration of the model's own package writes it with);
    :class:`Signature`, :func:`infer_schema`, :func:`infer_signature`; the built-in formats
    :mod:`pickle_format <autolog.model.formats.pickle_format>` and
    :mod:`torch_format <autolog.model.formats.torch_format>`.
Loading it back
    :class:`FlavorLoader`, registered under the entry-point group ``autolog.flavors`` named after
    the MLmodel flavor; :class:`ModelFolder` is what its ``load`` receives.
Held-out evaluation
    :class:`Outputs`, :func:`infer_task` (an integration's ``evaluation_outputs``).
Errors
    :class:`ConversionError` (an ONNX converter that cannot convert), :class:`PluginError`.

Every name is imported on first use (PEP 562), so importing this module costs nothing more
than what the names used need.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False
if TYPE_CHECKING:  # the names below, for type checkers; at run time they load on first use
    from typing import Any

    from autolog import datasets, heldout, params, patching, safety, varnames, writer
    from autolog.activation import is_enabled
    from autolog.calls import Recording, recorded_call
    from autolog.config import Config
    from autolog.config import current as current_config
    from autolog.config import effective as effective_config
    from autolog.context.sampler import prepare as prepare_system_metrics
    from autolog.errors import ConversionError, PluginError
    from autolog.evaluation.outputs import Outputs, infer_task
    from autolog.integration import Integration, Target
    from autolog.model.flavor_loader import FlavorLoader
    from autolog.model.folder import ModelFolder
    from autolog.model.formats import pickle_format as pickle_format
    from autolog.model.formats import torch_format as torch_format
    from autolog.model_logging import (
        Flavor,
        ModelCapture,
        NotRecorded,
        flavor_for,
        write_captured_model,
    )
    from autolog.patching import PatchSet, recording, should_record, suspended
    from autolog.runs import FAILED, FINISHED, KILLED
    from autolog.safety import AutologWarning
    from autolog.signature import Signature, infer_schema, infer_signature
    from autolog.tracking import ActiveRun, active_run


# Name -> "module" (the module itself) or "module:attribute".
_LAZY = {
    "ActiveRun": "autolog.tracking:ActiveRun",
    "AutologWarning": "autolog.safety:AutologWarning",
    "Config": "autolog.config:Config",
    "ConversionError": "autolog.errors:ConversionError",
    "FAILED": "autolog.runs:FAILED",
    "FINISHED": "autolog.runs:FINISHED",
    "Flavor": "autolog.model_logging:Flavor",
    "FlavorLoader": "autolog.model.flavor_loader:FlavorLoader",
    "Integration": "autolog.integration:Integration",
    "KILLED": "autolog.runs:KILLED",
    "ModelCapture": "autolog.model_logging:ModelCapture",
    "ModelFolder": "autolog.model.folder:ModelFolder",
    "NotRecorded": "autolog.model_logging:NotRecorded",
    "Outputs": "autolog.evaluation.outputs:Outputs",
    "PatchSet": "autolog.patching:PatchSet",
    "PluginError": "autolog.errors:PluginError",
    "Recording": "autolog.calls:Recording",
    "Signature": "autolog.signature:Signature",
    "Target": "autolog.integration:Target",
    "active_run": "autolog.tracking:active_run",
    "current_config": "autolog.config:current",
    "effective_config": "autolog.config:effective",
    "flavor_for": "autolog.model_logging:flavor_for",
    "datasets": "autolog.datasets",
    "heldout": "autolog.heldout",
    "infer_schema": "autolog.signature:infer_schema",
    "infer_signature": "autolog.signature:infer_signature",
    "infer_task": "autolog.evaluation.outputs:infer_task",
    "is_enabled": "autolog.activation:is_enabled",
    "params": "autolog.params",
    "patching": "autolog.patching",
    "pickle_format": "autolog.model.formats.pickle_format",
    "prepare_system_metrics": "autolog.context.sampler:prepare",
    "recorded_call": "autolog.calls:recorded_call",
    "recording": "autolog.patching:recording",
    "safety": "autolog.safety",
    "should_record": "autolog.patching:should_record",
    "suspended": "autolog.patching:suspended",
    "torch_format": "autolog.model.formats.torch_format",
    "varnames": "autolog.varnames",
    "write_captured_model": "autolog.model_logging:write_captured_model",
    "writer": "autolog.writer",
}

__all__ = [
    "ActiveRun",
    "AutologWarning",
    "Config",
    "ConversionError",
    "FAILED",
    "FINISHED",
    "Flavor",
    "FlavorLoader",
    "Integration",
    "KILLED",
    "ModelCapture",
    "ModelFolder",
    "NotRecorded",
    "Outputs",
    "PatchSet",
    "PluginError",
    "Recording",
    "Signature",
    "Target",
    "active_run",
    "current_config",
    "datasets",
    "effective_config",
    "flavor_for",
    "heldout",
    "infer_schema",
    "infer_signature",
    "infer_task",
    "is_enabled",
    "params",
    "patching",
    "pickle_format",
    "prepare_system_metrics",
    "recorded_call",
    "recording",
    "safety",
    "should_record",
    "suspended",
    "torch_format",
    "varnames",
    "write_captured_model",
    "writer",
]


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r} (the plugin "
                             f"contract is autolog.plugin.__all__)")
    module_name, _, attr = target.partition(":")
    value = importlib.import_module(module_name)
    if attr:
        value = getattr(value, attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
