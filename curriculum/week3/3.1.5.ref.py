"""Reference solution of 3.1.5 (Practice Set 5: Common gradient patterns — 20 variants)."""

import math

import torch
import torch.nn.functional as F

# Variant 1
x_1 = torch.randn(5, requires_grad=True)
W_1 = torch.randn(3, 5, requires_grad=True)
b_1 = torch.randn(3, requires_grad=True)
y_1 = W_1 @ x_1 + b_1
loss_1 = y_1.sum()
loss_1.backward()

# Variant 2
x_2 = torch.randn(10, requires_grad=True)
W_2 = torch.randn(1, 10, requires_grad=True)
b_2 = torch.randn(1, requires_grad=True)
y_2 = W_2 @ x_2 + b_2
loss_2 = ((y_2 - 1.0)**2).sum()
loss_2.backward()

# Variant 3
x_3 = torch.randn(784, requires_grad=True)
W_3 = torch.randn(128, 784, requires_grad=True)
b_3 = torch.randn(128, requires_grad=True)
y_3 = W_3 @ x_3 + b_3
loss_3 = y_3.sum()
loss_3.backward()

# Variant 4
x_4 = torch.randn(256, requires_grad=True)
W_4 = torch.randn(10, 256, requires_grad=True)
b_4 = torch.randn(10, requires_grad=True)
y_4 = W_4 @ x_4 + b_4
loss_4 = y_4.sum()
loss_4.backward()

# Variant 5
x_5 = torch.randn(100, requires_grad=True)
W_5 = torch.randn(50, 100, requires_grad=True)
b_5 = torch.randn(50, requires_grad=True)
y_5 = W_5 @ x_5 + b_5
loss_5 = y_5.sum()
loss_5.backward()

# Variant 6
x_6 = torch.randn(20, requires_grad=True)
W_6 = torch.randn(64, 20, requires_grad=True)
b_6 = torch.randn(64, requires_grad=True)
y_6 = W_6 @ x_6 + b_6
loss_6 = y_6.sum()
loss_6.backward()

# Variant 7
x_7 = torch.randn(10, requires_grad=True)
W1_7 = torch.randn(20, 10, requires_grad=True)
W2_7 = torch.randn(5, 20, requires_grad=True)
h_7 = torch.relu(W1_7 @ x_7)
y_7 = W2_7 @ h_7
loss_7 = y_7.sum()
loss_7.backward()

# Variant 8
x_8 = torch.randn(32, 784, requires_grad=True)
W_8 = torch.randn(256, 784, requires_grad=True)
b_8 = torch.randn(256, requires_grad=True)
y_8 = x_8 @ W_8.T + b_8
loss_8 = y_8.sum()
loss_8.backward()

# Variant 9
x_9 = torch.randn(15, requires_grad=True)
W_9 = torch.randn(8, 15, requires_grad=True)
y_9 = W_9 @ x_9
loss_9 = y_9.sum()
loss_9.backward()

# Variant 10
x_10 = torch.randn(12, requires_grad=True)
W_10 = torch.randn(6, 12, requires_grad=True)
y_10 = torch.relu(W_10 @ x_10)
loss_10 = y_10.sum()
loss_10.backward()

# Variant 11
A_11 = torch.randn(3, 4, requires_grad=True)
B_11 = torch.randn(4, 5, requires_grad=True)
C_11 = A_11 @ B_11
loss_11 = C_11.sum()
loss_11.backward()

# Variant 12
x_12 = torch.randn(5, requires_grad=True)
A_12 = torch.randn(5, 5, requires_grad=True)
loss_12 = x_12 @ A_12 @ x_12
loss_12.backward()

# Variant 13
x_13 = torch.randn(3, requires_grad=True)
y_13 = torch.randn(4, requires_grad=True)
Z_13 = x_13.unsqueeze(1) @ y_13.unsqueeze(0)
loss_13 = Z_13.sum()
loss_13.backward()

# Variant 14
A_14 = torch.randn(4, 4, requires_grad=True)
loss_14 = torch.trace(A_14 @ A_14.T)
loss_14.backward()

# Variant 15
A_15 = torch.randn(3, 4, requires_grad=True)
loss_15 = torch.norm(A_15, 'fro')
loss_15.backward()

# Variant 16
x_16 = torch.randn(1, 10, 20, requires_grad=True)
weight_16 = torch.randn(5, 10, 3, requires_grad=True)
y_16 = F.conv1d(x_16, weight_16)
loss_16 = y_16.sum()
loss_16.backward()

# Variant 17
x_17 = torch.randn(1, 3, 32, 32, requires_grad=True)
weight_17 = torch.randn(16, 3, 3, 3, requires_grad=True)
y_17 = F.conv2d(x_17, weight_17)
loss_17 = y_17.sum()
loss_17.backward()

# Variant 18
x_18 = torch.randn(1, 1, 4, 4, requires_grad=True)
y_18 = F.max_pool2d(x_18, 2)
loss_18 = y_18.sum()
loss_18.backward()

# Variant 19
x_19 = torch.randn(5, 3, 4, requires_grad=True)
W_ih_19 = torch.randn(8, 4, requires_grad=True)
W_hh_19 = torch.randn(8, 8, requires_grad=True)
h_19 = torch.zeros(3, 8)
for t in range(5):
    h_19 = torch.tanh(x_19[t] @ W_ih_19.T + h_19 @ W_hh_19.T)
loss_19 = h_19.sum()
loss_19.backward()

# Variant 20
Q_20 = torch.randn(10, 64, requires_grad=True)
K_20 = torch.randn(15, 64, requires_grad=True)
V_20 = torch.randn(15, 64, requires_grad=True)
out_20 = torch.softmax(Q_20 @ K_20.T / math.sqrt(64), dim=-1) @ V_20
loss_20 = out_20.sum()
loss_20.backward()
