"""Reference solution of 5.2.4 (adversarial training with FGSM)."""

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset


def generate_adversarial_examples(model, data, target, epsilon=0.1):
    """FGSM: x_adv = clamp(x + epsilon * sign(grad_x CE(model(x), target)), 0, 1)."""
    data = data.clone().detach().requires_grad_(True)
    loss = F.cross_entropy(model(data), target)
    (grad,) = torch.autograd.grad(loss, data)
    adversarial = data + epsilon * grad.sign()
    return torch.clamp(adversarial, 0, 1).detach()


def adversarial_training_loop(model, X, y, num_epochs=10, epsilon=0.1):
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    criterion = nn.CrossEntropyLoss()
    loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True)
    history = {"train_loss": []}
    for _epoch in range(num_epochs):
        model.train()
        epoch_loss = 0.0
        for data, target in loader:
            adversarial = generate_adversarial_examples(model, data, target, epsilon)
            optimizer.zero_grad()
            output_clean = model(data)
            output_adv = model(adversarial)
            loss = 0.5 * criterion(output_clean, target) + 0.5 * criterion(output_adv, target)
            loss.backward()
            optimizer.step()
            epoch_loss += loss.item()
        history["train_loss"].append(epoch_loss / len(loader))
    return history


def evaluate_adversarial_accuracy(model, X, y, epsilon=0.1):
    """Accuracy in percent on FGSM examples made against the model itself."""
    model.eval()
    adversarial = generate_adversarial_examples(model, X, y, epsilon)
    with torch.no_grad():
        predicted = model(adversarial).argmax(dim=1)
    return 100.0 * (predicted == y).float().mean().item()
