"""Reference solution of 4.1.4 (Practice Set 4: Mixed architecture networks)."""

import torch
import torch.nn as nn
import torch.nn.functional as F


class MixedModel1(nn.Module):
    """CNN backbone + FC head with a residual connection around fc1 -> fc2."""

    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
        )
        self.fc1 = nn.Linear(32, 32)
        self.fc2 = nn.Linear(32, 32)
        self.out = nn.Linear(32, 10)

    def forward(self, x):
        h = self.backbone(x).view(x.size(0), -1)
        h = h + self.fc2(F.relu(self.fc1(h)))
        return self.out(h)


class MixedModel2(nn.Module):
    """Two inputs, one branch each, concatenated into shared FC layers."""

    def __init__(self):
        super().__init__()
        self.branch1 = nn.Linear(20, 32)
        self.branch2 = nn.Linear(30, 32)
        self.shared = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 1))

    def forward(self, x1, x2):
        h = torch.cat([F.relu(self.branch1(x1)), F.relu(self.branch2(x2))], dim=1)
        return self.shared(h)


class MixedModel3(nn.Module):
    """Encoder-decoder with a 32-wide bottleneck."""

    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 32))
        self.decoder = nn.Sequential(nn.Linear(32, 128), nn.ReLU(), nn.Linear(128, 784))

    def encode(self, x):
        return self.encoder(x)

    def forward(self, x):
        return self.decoder(self.encode(x))


class MixedModel4(nn.Module):
    """Conv1d feature extractor + LSTM classifier on (batch, 1, length) signals."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(1, 16, kernel_size=5, padding=2)
        self.lstm = nn.LSTM(16, 32, batch_first=True)
        self.fc = nn.Linear(32, 5)

    def forward(self, x):
        h = F.relu(self.conv(x))          # (batch, 16, length)
        h = h.permute(0, 2, 1)            # (batch, length, 16)
        _out, (h_n, _c_n) = self.lstm(h)
        return self.fc(h_n[-1])


class MixedModel5(nn.Module):
    """Attention pooling over time steps, then FC layers; returns (output, weights)."""

    def __init__(self):
        super().__init__()
        self.score = nn.Linear(16, 1)
        self.fc = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4))

    def forward(self, x):
        weights = F.softmax(self.score(x).squeeze(-1), dim=1)      # (batch, steps)
        context = torch.bmm(weights.unsqueeze(1), x).squeeze(1)    # (batch, 16)
        return self.fc(context), weights
