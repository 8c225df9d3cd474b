"""Fitting a polynomial with a linear layer and hand-written gradient steps, as
pytorch/examples' regression does: no optimizer, so autolog has no training loop to see."""

import torch
import torch.nn.functional as F

torch.manual_seed(0)
DEGREE = 4
w_target, b_target = torch.randn(DEGREE, 1) * 5, torch.randn(1) * 5


def features(x):
    return torch.cat([x.unsqueeze(1) ** i for i in range(1, DEGREE + 1)], 1)


layer = torch.nn.Linear(DEGREE, 1)
step = 0
while step < 5000:
    step += 1
    x = features(torch.randn(32))
    y = x.mm(w_target) + b_target.item()
    layer.zero_grad()
    loss = F.smooth_l1_loss(layer(x), y)
    loss.backward()
    with torch.no_grad():
        for param in layer.parameters():
            param.add_(-0.1 * param.grad)
    if loss.item() < 1e-3:
        break
print(f"Loss: {loss.item():.6f} after {step} batches")
