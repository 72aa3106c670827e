"""Reference solution of 3.3.1b (gradient descent on a 2-D surface)."""

import torch


def objective_function(x, y):
    # Corrected seed surface (see errata): minimum at (-2/3, 5/3), value 2/3
    return x**2 + y**2 - x * y + 3 * x - 4 * y + 5


def find_minimum(f, start_x=0.0, start_y=0.0, learning_rate=0.1, max_iterations=1000,
                 tolerance=1e-6):
    x = torch.tensor(float(start_x), dtype=torch.float64, requires_grad=True)
    y = torch.tensor(float(start_y), dtype=torch.float64, requires_grad=True)
    for _ in range(max_iterations):
        if x.grad is not None:
            x.grad.zero_()
            y.grad.zero_()
        loss = f(x, y)
        loss.backward()
        with torch.no_grad():
            grad_norm = (x.grad**2 + y.grad**2).sqrt().item()
            if grad_norm < tolerance:
                break
            x -= learning_rate * x.grad
            y -= learning_rate * y.grad
    with torch.no_grad():
        value = f(x, y).item()
    return x.item(), y.item(), value
