"""Reference solution of final.1 (Phase 1 final test: syntax fluency, 30 minutes)."""

import copy

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset


class FinalNet(nn.Module):
    """3 linear layers, BatchNorm1d + ReLU + Dropout after each hidden layer."""

    def __init__(self, in_features, hidden, num_classes, dropout=0.2):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(in_features, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(hidden, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(hidden, num_classes),
        )

    def forward(self, x):
        return self.net(x)


class TabularDataset(Dataset):
    def __init__(self, features, labels=None):
        self.features = torch.as_tensor(features, dtype=torch.float32)
        self.labels = None if labels is None else torch.as_tensor(labels, dtype=torch.long)

    def __len__(self):
        return len(self.features)

    def __getitem__(self, idx):
        if self.labels is None:
            return self.features[idx]
        return self.features[idx], self.labels[idx]


def fit(model, train_ds, val_ds, num_epochs=30, lr=0.01, patience=3, batch_size=32):
    train_loader = DataLoader(train_ds, batch_size=batch_size, shuffle=True)
    val_loader = DataLoader(val_ds, batch_size=256)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.1)
    best_loss, best_state, bad, epochs = float("inf"), None, 0, 0
    for _ in range(num_epochs):
        model.train()
        for data, target in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(data), target)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
            optimizer.step()
        scheduler.step()
        epochs += 1
        model.eval()
        with torch.no_grad():
            val_loss = sum(criterion(model(x), y).item() * len(y) for x, y in val_loader)
        val_loss /= len(val_ds)
        if val_loss < best_loss:
            best_loss, best_state, bad = val_loss, copy.deepcopy(model.state_dict()), 0
        else:
            bad += 1
            if bad >= patience:
                break
    model.load_state_dict(best_state)
    return {"epochs": epochs, "best_val_loss": best_loss}
