"""Reference solution of 5.2.2 (curriculum learning)."""

import torch
import torch.nn as nn
import torch.optim as optim
from torch.utils.data import DataLoader, Subset


def difficulty_scorer(batch_data, batch_labels, model):
    """0.7 * (1 - max softmax probability) + 0.3 * per-sample cross-entropy."""
    with torch.no_grad():
        model.eval()
        outputs = model(batch_data)
        max_probs, _ = torch.max(torch.softmax(outputs, dim=1), dim=1)
        individual_losses = nn.CrossEntropyLoss(reduction="none")(outputs, batch_labels)
        return 0.7 * (1.0 - max_probs) + 0.3 * individual_losses


def create_curriculum_schedule(dataset, model, num_epochs):
    """{epoch: indices}: easiest 40% for the first third of the epochs, 70% for the
    second third, everything after."""
    loader = DataLoader(dataset, batch_size=32, shuffle=False)
    scores = torch.cat([difficulty_scorer(data, target, model) for data, target in loader])
    order = torch.argsort(scores).tolist()
    total = len(order)
    schedule = {}
    for epoch in range(num_epochs):
        if epoch < num_epochs // 3:
            count = int(0.4 * total)
        elif epoch < 2 * num_epochs // 3:
            count = int(0.7 * total)
        else:
            count = total
        schedule[epoch] = order[:count]
    return schedule


def curriculum_training_loop(model, full_dataset, val_loader, num_epochs=9):
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    criterion = nn.CrossEntropyLoss()
    schedule = create_curriculum_schedule(full_dataset, model, num_epochs)
    history = {"epoch": [], "num_samples": [], "train_loss": [], "val_accuracy": []}
    for epoch in range(num_epochs):
        indices = schedule[epoch]
        train_loader = DataLoader(Subset(full_dataset, indices), batch_size=32, shuffle=True)
        model.train()
        epoch_loss = 0.0
        for data, target in train_loader:
            optimizer.zero_grad()
            outputs = model(data)
            loss = criterion(outputs, target)
            loss.backward()
            optimizer.step()
            epoch_loss += loss.item()
        model.eval()
        correct = total = 0
        with torch.no_grad():
            for data, target in val_loader:
                predicted = model(data).argmax(dim=1)
                total += target.size(0)
                correct += (predicted == target).sum().item()
        history["epoch"].append(epoch)
        history["num_samples"].append(len(indices))
        history["train_loss"].append(epoch_loss / len(train_loader))
        history["val_accuracy"].append(100.0 * correct / total)
    return history
