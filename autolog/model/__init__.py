"""The model layer: a model folder and its formats, knowing no store and no run.

* :mod:`autolog.model.folder` reads a folder (``MLmodel``, signature, example, checksums);
  :mod:`autolog.model.folder_writer` writes one;
* :mod:`autolog.model.environment` pins its requirements (``requirements.txt``, ``conda.yaml``,
  ``python_env.yaml``) from the installed distributions;
* :mod:`autolog.model.formats` holds one module per format (``pickle_format``,
  ``torch_format``, ``onnx_format``);
* :mod:`autolog.model.flavors` finds the :class:`~autolog.model.flavor_loader.FlavorLoader` of
  an MLmodel flavor (built-in table and the ``autolog.flavors`` entry points).

This package imports nothing itself.
"""
