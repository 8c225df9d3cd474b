"""An LSTM language model trained on batchified token streams with truncated backprop and
gradient clipping (as pytorch/examples' word_language_model), on a generated corpus, with an
SGD optimizer and a validation pass per epoch."""

import math

import torch
from torch import nn


class RNNModel(nn.Module):
    def __init__(self, ntoken, ninp=32, nhid=32, nlayers=2, dropout=0.2):
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)

    def forward(self, tokens):
        output, _ = self.rnn(self.drop(self.encoder(tokens)))
        return self.decoder(self.drop(output)).view(-1, self.decoder.out_features)


def batchify(data, batch_size):
    n = data.size(0) // batch_size
    return data[: n * batch_size].view(batch_size, -1).t().contiguous()


torch.manual_seed(0)
vocabulary = 50
corpus = torch.randint(0, vocabulary, (6000,))
train_data, val_data = batchify(corpus[:5000], 20), batchify(corpus[5000:], 10)
model = RNNModel(vocabulary)
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=5.0)
bptt = 20
for epoch in range(1, 3):
    model.train()
    for i in range(0, train_data.size(0) - 1, bptt):
        length = min(bptt, train_data.size(0) - 1 - i)
        data, targets = train_data[i:i + length], train_data[i + 1:i + 1 + length].reshape(-1)
        optimizer.zero_grad()
        loss = criterion(model(data), targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        optimizer.step()
    model.eval()
    total = 0.0
    with torch.no_grad():
        for i in range(0, val_data.size(0) - 1, bptt):
            length = min(bptt, val_data.size(0) - 1 - i)
            data, targets = val_data[i:i + length], val_data[i + 1:i + 1 + length].reshape(-1)
            total += length * criterion(model(data), targets).item()
    val_loss = total / (val_data.size(0) - 1)
    print(f"| end of epoch {epoch} | valid loss {val_loss:5.2f} | "
          f"valid ppl {math.exp(val_loss):8.2f}")
