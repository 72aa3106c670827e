"""Reference solution of 3.1.1 (Practice Set 1: Creating tensors with gradients — 20 variants)."""

import math

import torch
import torch.nn.functional as F

# Variant 1
x_1 = torch.tensor(2.0, requires_grad=True)

# Variant 2
x_2 = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)

# Variant 3
x_3 = torch.randn(3, 4, requires_grad=True)

# Variant 4
x_4 = torch.tensor(5.0, requires_grad=True)

# Variant 5
x_5 = torch.tensor([0.5, 1.5, 2.5], requires_grad=True)

# Variant 6
x_6 = torch.randn(2, 5, requires_grad=True)

# Variant 7
x_7 = torch.tensor(-1.0, requires_grad=True)

# Variant 8
x_8 = torch.randn(10, requires_grad=True)

# Variant 9
x_9 = torch.randn(2, 3, 4, requires_grad=True)

# Variant 10
x_10 = torch.tensor(0.0, requires_grad=True)

# Variant 11
x_11 = torch.randn(3, 4)
x_11.requires_grad_(True)

# Variant 12
x_12 = torch.zeros(5, 5)
x_12.requires_grad_(True)

# Variant 13
x_13 = torch.ones(2, 3)
x_13.requires_grad_(True)

# Variant 14
x_14 = torch.randn(10)
x_14.requires_grad_(True)

# Variant 15
x_15 = torch.tensor(3.0)
x_15.requires_grad_(True)

# Variant 16
x_16 = torch.arange(10.0)
x_16.requires_grad_(True)

# Variant 17
x_17 = torch.randn(1, 1)
x_17.requires_grad_(True)

# Variant 18
x_18 = torch.linspace(0, 1, 11)
x_18.requires_grad_(True)

# Variant 19
x_19 = torch.eye(3)
x_19.requires_grad_(True)

# Variant 20
x_20 = torch.full((2, 2), 5.0)
x_20.requires_grad_(True)
