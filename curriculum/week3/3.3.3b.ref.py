"""Reference solution of 3.3.3b (logistic regression from scratch with autograd)."""

import torch


def sigmoid(x):
    return 1 / (1 + torch.exp(-x))


def binary_cross_entropy(y_pred, y_true):
    y_pred = torch.clamp(y_pred, 1e-7, 1 - 1e-7)  # avoid log(0)
    return -torch.mean(y_true * torch.log(y_pred) + (1 - y_true) * torch.log(1 - y_pred))


def train_logistic_regression(X, y, learning_rate=0.5, num_epochs=1000):
    w = torch.zeros(X.shape[1], 1, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    for _ in range(num_epochs):
        loss = binary_cross_entropy(sigmoid(torch.matmul(X, w) + b), y)
        if w.grad is not None:
            w.grad.zero_()
            b.grad.zero_()
        loss.backward()
        with torch.no_grad():
            w -= learning_rate * w.grad
            b -= learning_rate * b.grad
    return w.detach(), b.detach()


def predict_proba(X, w, b):
    return sigmoid(torch.matmul(X, w) + b)
