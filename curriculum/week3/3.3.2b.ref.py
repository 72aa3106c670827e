"""Reference solution of 3.3.2b (spring-mass system: energy and equilibrium)."""

import torch


def total_energy(position, velocity, k=1.0, m=1.0):
    kinetic_energy = 0.5 * m * velocity**2
    potential_energy = 0.5 * k * position**2
    return kinetic_energy + potential_energy


def potential_energy(position, k=1.0, force=0.0):
    # Spring plus a constant force (e.g. gravity on a hanging mass)
    return 0.5 * k * position**2 - force * position


def find_equilibrium(k=1.0, force=0.0, start=1.0, steps=500):
    position = torch.tensor(float(start), dtype=torch.float64, requires_grad=True)
    learning_rate = 0.5 / k  # the curvature of U is k
    for _ in range(steps):
        if position.grad is not None:
            position.grad.zero_()
        energy = potential_energy(position, k, force)
        energy.backward()
        with torch.no_grad():
            position -= learning_rate * position.grad
    return position.item()
