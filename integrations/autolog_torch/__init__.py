"""PyTorch integration: plain training loops are autologged, with no change to the loop."""

from autolog_torch.integration import TorchIntegration

__all__ = ["TorchIntegration"]
