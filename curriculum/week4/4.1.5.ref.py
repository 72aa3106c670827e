"""Reference solution of 4.1.5 (Practice Set 5: Custom logic networks)."""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class CustomLogic1(nn.Module):
    """Residual: x + F(x) with F = fc2(relu(fc1(x)))."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 64)
        self.fc2 = nn.Linear(64, 64)

    def forward(self, x):
        return x + self.fc2(F.relu(self.fc1(x)))


class CustomLogic2(nn.Module):
    """Three branches with different activations, concatenated, then combined."""

    def __init__(self):
        super().__init__()
        self.branch1 = nn.Linear(32, 16)
        self.branch2 = nn.Linear(32, 16)
        self.branch3 = nn.Linear(32, 16)
        self.combine = nn.Linear(48, 8)

    def forward(self, x):
        b1 = torch.relu(self.branch1(x))
        b2 = torch.sigmoid(self.branch2(x))
        b3 = torch.tanh(self.branch3(x))
        return self.combine(torch.cat([b1, b2, b3], dim=1))


class CustomLogic3(nn.Module):
    """Skip connection from fc1's output to fc3's output (non-adjacent layers)."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 64)
        self.fc2 = nn.Linear(64, 64)
        self.fc3 = nn.Linear(64, 64)
        self.out = nn.Linear(64, 10)

    def forward(self, x):
        h1 = F.relu(self.fc1(x))
        h2 = F.relu(self.fc2(h1))
        h3 = F.relu(self.fc3(h2) + h1)
        return self.out(h3)


class CustomLogic4(nn.Module):
    """Per-sample routing: rows with positive mean go through path_a, the others path_b."""

    def __init__(self):
        super().__init__()
        self.path_a = nn.Linear(32, 16)
        self.path_b = nn.Linear(32, 16)
        self.head = nn.Linear(16, 4)

    def forward(self, x):
        gate = x.mean(dim=1, keepdim=True) > 0
        h = torch.where(gate, self.path_a(x), self.path_b(x))
        return self.head(F.relu(h))


class CustomLogic5(nn.Module):
    """Self-attention over the steps of (batch, steps, 32), mean-pooled, then fc."""

    def __init__(self):
        super().__init__()
        self.query = nn.Linear(32, 32)
        self.key = nn.Linear(32, 32)
        self.value = nn.Linear(32, 32)
        self.fc = nn.Linear(32, 4)

    def forward(self, x):
        q, k, v = self.query(x), self.key(x), self.value(x)
        weights = F.softmax(q @ k.transpose(-2, -1) / math.sqrt(32), dim=-1)
        context = (weights @ v).mean(dim=1)
        return self.fc(context), weights
