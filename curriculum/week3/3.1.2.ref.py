"""Reference solution of 3.1.2 (Practice Set 2: Basic forward and backward — 20 variants)."""

import math

import torch
import torch.nn.functional as F

# Variant 1
x_1 = torch.tensor(3.0, requires_grad=True)
y_1 = x_1**2
y_1.backward()

# Variant 2
x_2 = torch.tensor(2.0, requires_grad=True)
y_2 = x_2**2
y_2.backward()

# Variant 3
x_3 = torch.tensor(-1.0, requires_grad=True)
y_3 = x_3**2
y_3.backward()

# Variant 4
x_4 = torch.tensor(0.5, requires_grad=True)
y_4 = x_4**2
y_4.backward()

# Variant 5
x_5 = torch.tensor(10.0, requires_grad=True)
y_5 = x_5**2
y_5.backward()

# Variant 6
x_6 = torch.tensor(-5.0, requires_grad=True)
y_6 = x_6**2
y_6.backward()

# Variant 7
x_7 = torch.tensor(0.1, requires_grad=True)
y_7 = x_7**2
y_7.backward()

# Variant 8
x_8 = torch.tensor(7.0, requires_grad=True)
y_8 = x_8**2
y_8.backward()

# Variant 9
x_9 = torch.tensor(-0.5, requires_grad=True)
y_9 = x_9**2
y_9.backward()

# Variant 10
x_10 = torch.tensor(1.5, requires_grad=True)
y_10 = x_10**2
y_10.backward()

# Variant 11
x_11 = torch.tensor(2.0, requires_grad=True)
y_11 = x_11**3
y_11.backward()

# Variant 12
x_12 = torch.tensor(3.0, requires_grad=True)
y_12 = 2*x_12 + 1
y_12.backward()

# Variant 13
x_13 = torch.tensor(1.0, requires_grad=True)
y_13 = x_13**4
y_13.backward()

# Variant 14
x_14 = torch.tensor(-2.0, requires_grad=True)
y_14 = x_14**3
y_14.backward()

# Variant 15
x_15 = torch.tensor(4.0, requires_grad=True)
y_15 = torch.sin(x_15)
y_15.backward()

# Variant 16
x_16 = torch.tensor(1.0, requires_grad=True)
y_16 = torch.exp(x_16)
y_16.backward()

# Variant 17
x_17 = torch.tensor(2.0, requires_grad=True)
y_17 = torch.log(x_17)
y_17.backward()

# Variant 18
x_18 = torch.tensor(0.5, requires_grad=True)
y_18 = 1/x_18
y_18.backward()

# Variant 19
x_19 = torch.tensor(3.0, requires_grad=True)
y_19 = torch.sqrt(x_19)
y_19.backward()

# Variant 20
x_20 = torch.tensor(1.0, requires_grad=True)
y_20 = x_20**2 + 3*x_20 + 2
y_20.backward()
