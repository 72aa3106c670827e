"""Reference solution of 3.3.2a (projectile: launch angle for maximum range)."""

import torch


def range_function(angle, v0=20.0, g=9.81, h=0.0):
    """Horizontal distance of a projectile launched at `angle` (radians) from height h."""
    vx = v0 * torch.cos(angle)
    vy = v0 * torch.sin(angle)
    return vx / g * (vy + torch.sqrt(vy**2 + 2 * g * h))


def find_optimal_angle(v0=20.0, g=9.81, h=0.0, steps=1000):
    # Plain gradient ascent; the range's curvature scales like v0**2 / g, so the step does
    # the opposite (the seed's torch.optim.Adam(lr=0.01) works as well).
    angle = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    learning_rate = 0.2 * g / v0**2
    for _ in range(steps):
        if angle.grad is not None:
            angle.grad.zero_()
        loss = -range_function(angle, v0, g, h)  # maximise the range
        loss.backward()
        with torch.no_grad():
            angle -= learning_rate * angle.grad
            angle.clamp_(0, torch.pi / 2)
    with torch.no_grad():
        best = range_function(angle, v0, g, h).item()
    return angle.item(), best
