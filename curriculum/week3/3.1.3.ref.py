"""Reference solution of 3.1.3 (Practice Set 3: Multi-variable functions — 20 variants)."""

import math

import torch
import torch.nn.functional as F

# Variant 1
x_1 = torch.tensor(2.0, requires_grad=True)
y_1 = torch.tensor(3.0, requires_grad=True)
z_1 = x_1**2 + y_1**2
z_1.backward()

# Variant 2
x_2 = torch.tensor(1.0, requires_grad=True)
y_2 = torch.tensor(1.0, requires_grad=True)
z_2 = x_2**2 + y_2**2
z_2.backward()

# Variant 3
x_3 = torch.tensor(-1.0, requires_grad=True)
y_3 = torch.tensor(2.0, requires_grad=True)
z_3 = x_3**2 + y_3**2
z_3.backward()

# Variant 4
x_4 = torch.tensor(0.5, requires_grad=True)
y_4 = torch.tensor(1.5, requires_grad=True)
z_4 = x_4**2 + y_4**2
z_4.backward()

# Variant 5
x_5 = torch.tensor(3.0, requires_grad=True)
y_5 = torch.tensor(-2.0, requires_grad=True)
z_5 = x_5**2 + y_5**2
z_5.backward()

# Variant 6
x_6 = torch.tensor(2.0, requires_grad=True)
y_6 = torch.tensor(3.0, requires_grad=True)
z_6 = x_6*y_6
z_6.backward()

# Variant 7
x_7 = torch.tensor(2.0, requires_grad=True)
y_7 = torch.tensor(3.0, requires_grad=True)
z_7 = x_7**2*y_7
z_7.backward()

# Variant 8
x_8 = torch.tensor(1.0, requires_grad=True)
y_8 = torch.tensor(2.0, requires_grad=True)
z_8 = x_8 + y_8**2
z_8.backward()

# Variant 9
x_9 = torch.tensor(1.0, requires_grad=True)
y_9 = torch.tensor(1.0, requires_grad=True)
z_9 = x_9**3 + y_9**3
z_9.backward()

# Variant 10
x_10 = torch.tensor(2.0, requires_grad=True)
y_10 = torch.tensor(3.0, requires_grad=True)
z_10 = x_10*y_10**2
z_10.backward()

# Variant 11
x_11 = torch.tensor(0.0, requires_grad=True)
y_11 = torch.tensor(0.0, requires_grad=True)
z_11 = torch.sin(x_11) + torch.cos(y_11)
z_11.backward()

# Variant 12
x_12 = torch.tensor(3.0, requires_grad=True)
y_12 = torch.tensor(2.0, requires_grad=True)
z_12 = x_12**2 - y_12**2
z_12.backward()

# Variant 13
x_13 = torch.tensor(6.0, requires_grad=True)
y_13 = torch.tensor(2.0, requires_grad=True)
z_13 = x_13/y_13
z_13.backward()

# Variant 14
x_14 = torch.tensor(1.0, requires_grad=True)
y_14 = torch.tensor(1.0, requires_grad=True)
z_14 = x_14**2 + 2*x_14*y_14 + y_14**2
z_14.backward()

# Variant 15
x_15 = torch.tensor(0.0, requires_grad=True)
y_15 = torch.tensor(0.0, requires_grad=True)
z_15 = torch.exp(x_15 + y_15)
z_15.backward()

# Variant 16
x_16 = torch.tensor(2.0, requires_grad=True)
y_16 = torch.tensor(1.0, requires_grad=True)
z_16 = x_16**2*y_16 + x_16*y_16**2
z_16.backward()

# Variant 17
x_17 = torch.tensor(3.0, requires_grad=True)
y_17 = torch.tensor(4.0, requires_grad=True)
z_17 = torch.sqrt(x_17**2 + y_17**2)
z_17.backward()

# Variant 18
x_18 = torch.tensor(1.0, requires_grad=True)
y_18 = torch.tensor(2.0, requires_grad=True)
z_18 = x_18**3*y_18**2
z_18.backward()

# Variant 19
x_19 = torch.tensor(2.0, requires_grad=True)
y_19 = torch.tensor(3.0, requires_grad=True)
z_19 = torch.log(x_19*y_19)
z_19.backward()

# Variant 20
x_20 = torch.tensor(1.0, requires_grad=True)
y_20 = torch.tensor(2.0, requires_grad=True)
z_20 = (x_20 + y_20)**2
z_20.backward()
