"""Reference solution of 4.1.1 (Practice Set 1: Basic linear networks)."""

import torch
import torch.nn as nn


class SimpleLinear1(nn.Module):
    def __init__(self, input_size=784, hidden_sizes=(128,), output_size=10):
        super().__init__()
        self.layer1 = nn.Linear(input_size, hidden_sizes[0])
        self.layer2 = nn.Linear(hidden_sizes[0], output_size)

    def forward(self, x):
        x = torch.relu(self.layer1(x))
        return self.layer2(x)


class SimpleLinear2(nn.Module):
    def __init__(self, input_size=100, hidden_sizes=(256, 64), output_size=1):
        super().__init__()
        self.layer1 = nn.Linear(input_size, hidden_sizes[0])
        self.layer2 = nn.Linear(hidden_sizes[0], hidden_sizes[1])
        self.layer3 = nn.Linear(hidden_sizes[1], output_size)

    def forward(self, x):
        x = torch.relu(self.layer1(x))
        x = torch.relu(self.layer2(x))
        return self.layer3(x)


class SimpleLinear3(nn.Module):
    def __init__(self, input_size=50, hidden_sizes=(32, 16), output_size=5):
        super().__init__()
        self.layer1 = nn.Linear(input_size, hidden_sizes[0])
        self.layer2 = nn.Linear(hidden_sizes[0], hidden_sizes[1])
        self.layer3 = nn.Linear(hidden_sizes[1], output_size)
        self.act = nn.LeakyReLU(0.01)

    def forward(self, x):
        x = self.act(self.layer1(x))
        x = self.act(self.layer2(x))
        return self.layer3(x)


class SimpleLinear4(nn.Module):
    def __init__(self, input_size=200, hidden_sizes=(512, 256, 128), output_size=2):
        super().__init__()
        self.layer1 = nn.Linear(input_size, hidden_sizes[0])
        self.layer2 = nn.Linear(hidden_sizes[0], hidden_sizes[1])
        self.layer3 = nn.Linear(hidden_sizes[1], hidden_sizes[2])
        self.layer4 = nn.Linear(hidden_sizes[2], output_size)
        self.dropout = nn.Dropout(0.2)

    def forward(self, x):
        x = self.dropout(torch.relu(self.layer1(x)))
        x = self.dropout(torch.relu(self.layer2(x)))
        x = self.dropout(torch.relu(self.layer3(x)))
        return self.layer4(x)


class SimpleLinear5(nn.Module):
    def __init__(self, input_size=300, hidden_sizes=(64,), output_size=20):
        super().__init__()
        self.layer1 = nn.Linear(input_size, hidden_sizes[0])
        self.layer2 = nn.Linear(hidden_sizes[0], output_size, bias=False)

    def forward(self, x):
        x = torch.relu(self.layer1(x))
        return self.layer2(x)
