"""Run context: where a run came from and what the machine did while it ran.

Modules, bottom up: :mod:`~autolog.context.source` (script or notebook, git state, read once
per process off the training thread), :mod:`~autolog.context.packages` (the installed
distributions, pip-freeze style), :mod:`~autolog.context.hardware`,
:mod:`~autolog.context.probes` (CPU, memory, disk, network and NVIDIA GPU counters),
:mod:`~autolog.context.sampler` (the one sampler thread of the process), and
:mod:`~autolog.context.run` (what a run records at its start and end).
"""
