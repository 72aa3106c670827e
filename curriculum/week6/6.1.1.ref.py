"""Reference solution of 6.1.1 (speed challenge 1: MLP with validation, 10 minutes)."""

import torch
import torch.nn as nn
import torch.optim as optim


class SpeedMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.2),
            nn.Linear(128, 64), nn.ReLU(), nn.Dropout(0.2),
            nn.Linear(64, 10),
        )

    def forward(self, x):
        return self.net(x)


def validate(model, loader, criterion):
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for data, target in loader:
            output = model(data)
            total_loss += criterion(output, target).item() * len(target)
            correct += (output.argmax(dim=1) == target).sum().item()
            count += len(target)
    return total_loss / count, correct / count


def train_model(model, train_loader, val_loader, num_epochs=5):
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=0.001)
    history = []
    for epoch in range(num_epochs):
        model.train()
        running = 0.0
        for data, target in train_loader:
            optimizer.zero_grad()
            output = model(data)
            loss = criterion(output, target)
            loss.backward()
            optimizer.step()
            running += loss.item()
        val_loss, val_acc = validate(model, val_loader, criterion)
        history.append({"epoch": epoch + 1, "train_loss": running / len(train_loader),
                        "val_loss": val_loss, "val_acc": val_acc})
        print(f"epoch {epoch + 1}/{num_epochs} train {running / len(train_loader):.4f} "
              f"val {val_loss:.4f} acc {val_acc:.3f}")
    return history
