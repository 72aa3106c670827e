"""Reference solution of 3.1.4 (Practice Set 4: Vector operations — 20 variants)."""

import math

import torch
import torch.nn.functional as F

# Variant 1
x_1 = torch.randn(3, requires_grad=True)
y_1 = (x_1**2).sum()
y_1.backward()

# Variant 2
x_2 = torch.randn(5, requires_grad=True)
y_2 = x_2.sum()
y_2.backward()

# Variant 3
x_3 = torch.randn(4, requires_grad=True)
y_3 = (x_3**3).sum()
y_3.backward()

# Variant 4
x_4 = torch.randn(2, requires_grad=True)
y_4 = (x_4**4).sum()
y_4.backward()

# Variant 5
x_5 = torch.randn(6, requires_grad=True)
y_5 = torch.norm(x_5)
y_5.backward()

# Variant 6
x_6 = torch.randn(3, requires_grad=True)
y_6 = torch.sin(x_6).sum()
y_6.backward()

# Variant 7
x_7 = torch.randn(4, requires_grad=True)
y_7 = torch.exp(x_7).sum()
y_7.backward()

# Variant 8
x_8 = torch.randn(2, 3, requires_grad=True)
y_8 = x_8.sum()
y_8.backward()

# Variant 9
x_9 = torch.randn(3, requires_grad=True)
y_9 = torch.dot(x_9, x_9)
y_9.backward()

# Variant 10
x_10 = torch.randn(5, requires_grad=True)
y_10 = (x_10 * 2).sum()
y_10.backward()

# Variant 11
x_11 = torch.randn(2, 2, requires_grad=True)
y_11 = (x_11**2).sum()
y_11.backward()

# Variant 12
x_12 = torch.randn(4, requires_grad=True)
y_12 = (1/x_12).sum()
y_12.backward()

# Variant 13
x_13 = torch.randn(3, requires_grad=True)
y_13 = torch.mean(x_13**2)
y_13.backward()

# Variant 14
x_14 = torch.randn(2, 3, requires_grad=True)
y_14 = torch.trace(x_14 @ x_14.T)
y_14.backward()

# Variant 15
x_15 = torch.randn(5, requires_grad=True)
y_15 = torch.var(x_15)
y_15.backward()

# Variant 16
x_16 = torch.randn(3, requires_grad=True)
y_16 = torch.prod(x_16)
y_16.backward()

# Variant 17
x_17 = torch.randn(4, requires_grad=True)
y_17 = torch.max(x_17)
y_17.backward()

# Variant 18
x_18 = torch.randn(2, 2, requires_grad=True)
y_18 = torch.det(x_18)
y_18.backward()

# Variant 19
x_19 = torch.randn(3, requires_grad=True)
y_19 = torch.softmax(x_19, dim=0).sum()
y_19.backward()

# Variant 20
x_20 = torch.randn(5, requires_grad=True)
y_20 = torch.cumsum(x_20, dim=0).sum()
y_20.backward()
