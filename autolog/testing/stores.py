"""The Store conformance suite: every backend, built in or third party, passes the same tests.

Subclass :class:`StoreSuite` in a test module (the class name must start with ``Test``) and
define a ``store`` fixture that returns a fresh or shared instance of your backend::

    import pytest
    from autolog.testing.stores import StoreSuite
    from my_store import BucketStore

    class TestBucketStore(StoreSuite):
        @pytest.fixture
        def store(self, tmp_path):
            return BucketStore(f"bucket://{tmp_path.name}")

A backend without a model registry subclasses :class:`RunStoreSuite` instead. The registry
tests build real model folders with scikit-learn (skipped where it is not installed); a store
that cannot be reached from a second process sets ``registry_processes = 0``. Tests only add
runs in fresh experiments and models of fresh names, so a shared store (one server for the
session) is fine.
"""

from __future__ import annotations

from autolog.testing.store_artifacts import ArtifactsTests
from autolog.testing.store_registry import RegistryTests
from autolog.testing.store_runs import RunsTests

__all__ = ["ArtifactsTests", "RegistryTests", "RunStoreSuite", "RunsTests", "StoreSuite"]


class RunStoreSuite(RunsTests, ArtifactsTests):
    """The contract of a store without a model registry: runs and artifacts."""


class StoreSuite(RunStoreSuite, RegistryTests):
    """The whole Store contract: runs, artifacts and the model registry."""
