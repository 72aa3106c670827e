"""Reference solution of 1.3.3 (Problem 3: matrix transformations)."""

import math

import torch


def create_rotation_matrix(angle_degrees):
    """R = [[cos θ, -sin θ], [sin θ, cos θ]] for θ in degrees."""
    theta = torch.tensor(math.radians(angle_degrees))
    c, s = torch.cos(theta), torch.sin(theta)
    return torch.stack([torch.stack([c, -s]), torch.stack([s, c])])


def create_scaling_matrix(scale_x, scale_y):
    return torch.tensor([[float(scale_x), 0.0], [0.0, float(scale_y)]])


def apply_transformation(points, transform_matrix):
    """points (N, 2) -> transformed points (N, 2): each row p becomes M @ p."""
    return points @ transform_matrix.T


def matrix_transformations():
    unit_square = torch.tensor([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    rotation = create_rotation_matrix(45)
    scaling = create_scaling_matrix(2.0, 0.5)
    return {
        "rotated": apply_transformation(unit_square, rotation),
        "scaled": apply_transformation(unit_square, scaling),
        "combined": apply_transformation(unit_square, scaling @ rotation),  # rotate, then scale
    }


if __name__ == "__main__":
    for name, pts in matrix_transformations().items():
        print(name, pts)
