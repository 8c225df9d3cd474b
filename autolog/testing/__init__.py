"""Reusable specifications for third-party stores and integrations (pytest test classes).

* :mod:`autolog.testing.stores` — :class:`~autolog.testing.stores.StoreSuite`, the Store
  conformance suite: subclass it and define a ``store`` fixture.
* :mod:`autolog.testing.integrations` —
  :class:`~autolog.testing.integrations.IntegrationSuite`, the integration kit: subclass it and
  define ``framework`` and ``train`` fixtures.

autolog runs both against its own stores and integrations. These modules import pytest; the
``autolog`` package never imports them.
"""
