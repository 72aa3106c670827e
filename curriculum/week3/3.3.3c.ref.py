"""Reference solution of 3.3.3c (2-layer XOR network from scratch with autograd)."""

import torch


def relu(x):
    return torch.clamp(x, min=0)


def sigmoid(x):
    return 1 / (1 + torch.exp(-x))


def train_xor_network(X, y, hidden_size=16, learning_rate=1.0, num_epochs=300):
    # Leaf parameters: scale *before* requires_grad_ (see errata)
    W1 = torch.randn(2, hidden_size).requires_grad_()
    b1 = torch.zeros(hidden_size, requires_grad=True)
    W2 = (torch.randn(hidden_size, 1) / hidden_size**0.5).requires_grad_()
    b2 = torch.zeros(1, requires_grad=True)
    params = [W1, b1, W2, b2]
    for _ in range(num_epochs):
        hidden = relu(torch.matmul(X, W1) + b1)
        output = sigmoid(torch.matmul(hidden, W2) + b2).clamp(1e-7, 1 - 1e-7)
        loss = -torch.mean(y * torch.log(output) + (1 - y) * torch.log(1 - output))
        for p in params:
            if p.grad is not None:
                p.grad.zero_()
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= learning_rate * p.grad
    return {"W1": W1.detach(), "b1": b1.detach(), "W2": W2.detach(), "b2": b2.detach()}


def predict_xor(X, params):
    hidden = relu(torch.matmul(X, params["W1"]) + params["b1"])
    return sigmoid(torch.matmul(hidden, params["W2"]) + params["b2"])
