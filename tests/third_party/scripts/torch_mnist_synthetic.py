"""A convolutional digit classifier trained like pytorch/examples' mnist (Adadelta, StepLR,
nll_loss, a train and a test loop per epoch), on random images instead of MNIST."""

import argparse

import torch
import torch.nn.functional as F
from torch import nn, optim
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, TensorDataset


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, 1)
        self.conv2 = nn.Conv2d(8, 16, 3, 1)
        self.dropout = nn.Dropout(0.25)
        self.fc1 = nn.Linear(16 * 6 * 6, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = self.dropout(torch.flatten(x, 1))
        return F.log_softmax(self.fc2(F.relu(self.fc1(x))), dim=1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--lr", type=float, default=1.0)
    args = parser.parse_args()
    torch.manual_seed(1)
    images, labels = torch.rand(512, 1, 16, 16), torch.randint(0, 10, (512,))
    train_loader = DataLoader(TensorDataset(images[:384], labels[:384]), batch_size=64,
                              shuffle=True)
    test_loader = DataLoader(TensorDataset(images[384:], labels[384:]), batch_size=128)
    model = Net()
    optimizer = optim.Adadelta(model.parameters(), lr=args.lr)
    scheduler = StepLR(optimizer, step_size=1, gamma=0.7)
    for epoch in range(1, args.epochs + 1):
        model.train()
        for batch, (data, target) in enumerate(train_loader):
            optimizer.zero_grad()
            loss = F.nll_loss(model(data), target)
            loss.backward()
            optimizer.step()
            if batch % 3 == 0:
                print(f"Train Epoch: {epoch} [{batch * len(data)}/{len(train_loader.dataset)}]"
                      f"\tLoss: {loss.item():.6f}")
        model.eval()
        test_loss, correct = 0.0, 0
        with torch.no_grad():
            for data, target in test_loader:
                output = model(data)
                test_loss += F.nll_loss(output, target, reduction="sum").item()
                correct += output.argmax(dim=1).eq(target).sum().item()
        print(f"Test set: Average loss: {test_loss / len(test_loader.dataset):.4f}, "
              f"Accuracy: {correct}/{len(test_loader.dataset)}")
        scheduler.step()


if __name__ == "__main__":
    main()
