"""Sine-wave prediction with stacked LSTM cells and the L-BFGS optimizer (a closure per step),
as pytorch/examples' time_sequence_prediction, with the waves generated in the script."""

import numpy as np
import torch
from torch import nn


class Sequence(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm1 = nn.LSTMCell(1, 24)
        self.lstm2 = nn.LSTMCell(24, 24)
        self.linear = nn.Linear(24, 1)

    def forward(self, waves):
        h1 = c1 = torch.zeros(waves.size(0), 24, dtype=torch.double)
        h2 = c2 = torch.zeros(waves.size(0), 24, dtype=torch.double)
        outputs = []
        for value in waves.split(1, dim=1):
            h1, c1 = self.lstm1(value, (h1, c1))
            h2, c2 = self.lstm2(h1, (h2, c2))
            outputs.append(self.linear(h2))
        return torch.cat(outputs, dim=1)


np.random.seed(2)
torch.manual_seed(0)
T, L, N = 20, 100, 20
x = np.arange(L) + np.random.randint(-4 * T, 4 * T, N).reshape(N, 1)
data = np.sin(x / T).astype("float64")
inputs, target = torch.from_numpy(data[3:, :-1]), torch.from_numpy(data[3:, 1:])
test_input, test_target = torch.from_numpy(data[:3, :-1]), torch.from_numpy(data[:3, 1:])
seq = Sequence().double()
criterion = nn.MSELoss()
optimizer = torch.optim.LBFGS(seq.parameters(), lr=0.8)
for step in range(2):
    def closure():
        optimizer.zero_grad()
        loss = criterion(seq(inputs), target)
        loss.backward()
        return loss
    optimizer.step(closure)
    with torch.no_grad():
        print(f"step {step} test loss: {criterion(seq(test_input), test_target).item():.6f}")
