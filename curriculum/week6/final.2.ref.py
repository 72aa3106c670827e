"""Reference solution of final.2 (Phase 1 final test: application challenge, 60 minutes).

Probabilistic demand forecasting: a network that predicts quantiles which never
cross, the pinball (quantile) loss, integrated gradients, a forecast report.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class DemandNet(nn.Module):
    """MLP → one column per quantile; the lowest column plus softplus increments,
    so column j never exceeds column j + 1."""

    def __init__(self, in_features, hidden=32, quantiles=(0.1, 0.5, 0.9)):
        super().__init__()
        self.quantiles = tuple(quantiles)
        self.body = nn.Sequential(
            nn.Linear(in_features, hidden), nn.ReLU(),
            nn.Linear(hidden, hidden), nn.ReLU(),
            nn.Linear(hidden, len(self.quantiles)),
        )

    def forward(self, x):
        raw = self.body(x)
        base, rest = raw[:, :1], raw[:, 1:]
        return torch.cat([base, base + torch.cumsum(F.softplus(rest), dim=1)], dim=1)


def pinball_loss(pred, target, quantiles):
    """Mean over batch and quantiles of max(q·(y − ŷ), (q − 1)·(y − ŷ))."""
    q = torch.as_tensor(quantiles, dtype=pred.dtype, device=pred.device)
    diff = target.unsqueeze(1) - pred
    return torch.maximum(q * diff, (q - 1) * diff).mean()


def integrated_gradients(model, x, baseline=None, steps=50, column=1):
    """(x − baseline) · mean over the path of ∂ model(·)[:, column] / ∂ input."""
    model.eval()
    if baseline is None:
        baseline = torch.zeros_like(x)
    total = torch.zeros_like(x)
    for k in range(1, steps + 1):
        point = (baseline + k / steps * (x - baseline)).detach().requires_grad_(True)
        out = model(point)[:, column].sum()
        total += torch.autograd.grad(out, point)[0]
    return (x - baseline) * total / steps


def evaluate(pred, target, quantiles):
    pred, target = pred.detach(), target.detach()
    median = pred[:, list(quantiles).index(0.5)]
    err = target - median
    lower, upper = pred[:, 0], pred[:, -1]
    return {
        "mae": err.abs().mean().item(),
        "rmse": err.pow(2).mean().sqrt().item(),
        "coverage": ((target >= lower) & (target <= upper)).float().mean().item(),
        "width": (upper - lower).mean().item(),
        "calibration": (target.unsqueeze(1) <= pred).float().mean(0).tolist(),
        "pinball": pinball_loss(pred, target, quantiles).item(),
    }


def train_forecaster(x, y, quantiles=(0.1, 0.5, 0.9), num_epochs=60, lr=0.01):
    model = DemandNet(x.shape[1], 32, quantiles)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(num_epochs):
        model.train()
        order = torch.randperm(len(x))
        for i in range(0, len(x), 64):
            idx = order[i:i + 64]
            optimizer.zero_grad()
            loss = pinball_loss(model(x[idx]), y[idx], quantiles)
            loss.backward()
            optimizer.step()
    return model
