"""Reference solution of 3.3.1a (function analysis: critical points of a cubic)."""

import torch


def polynomial(x, coeffs):
    """f(x) = coeffs[0]*x**(n-1) + ... + coeffs[-1] (highest power first)."""
    result = torch.zeros_like(x)
    n = len(coeffs)
    for i, coeff in enumerate(coeffs):
        result = result + coeff * x ** (n - 1 - i)
    return result


def _derivatives(x, coeffs):
    """f'(x) and f''(x) by autograd (x: 1-D float64 tensor)."""
    x = x.detach().requires_grad_(True)
    y = polynomial(x, coeffs)
    (d1,) = torch.autograd.grad(y.sum(), x, create_graph=True)
    (d2,) = torch.autograd.grad(d1.sum(), x)
    return d1.detach(), d2.detach()


def find_critical_points(coeffs, x_range=(-10.0, 10.0), num_points=2001):
    coeffs = [float(c) for c in coeffs]
    grid = torch.linspace(x_range[0], x_range[1], num_points, dtype=torch.float64)
    d1, _ = _derivatives(grid, coeffs)
    points = []
    for i in range(num_points - 1):
        if d1[i] == 0 or d1[i] * d1[i + 1] < 0:
            # Newton on f'(x) = 0, starting inside the bracket
            x = (grid[i] + grid[i + 1]) / 2 if d1[i] != 0 else grid[i]
            for _ in range(50):
                g, h = _derivatives(x.reshape(1), coeffs)
                if h[0] == 0:
                    break
                step = g[0] / h[0]
                x = x - step
                if abs(step) < 1e-12:
                    break
            _, h = _derivatives(x.reshape(1), coeffs)
            kind = "min" if h[0] > 0 else "max" if h[0] < 0 else "inflection"
            value = float(x)
            if not points or abs(points[-1][0] - value) > 1e-6:
                points.append((value, kind))
    return points
