"""Reference solution of 2.1.4 (Practice Set 4: squeeze() — 15 variants)."""

import torch

y = torch.randn(1, 2, 1, 4)  # tensor with singleton dims
y5 = torch.randn(1, 3, 1, 1, 5)  # 5D tensor
y3 = torch.randn(1, 1, 4)  # 3D tensor
z = torch.randn(2, 1, 3, 1)  # 4D tensor
w = torch.randn(1, 5, 1)  # 3D tensor

squeeze_1 = y.squeeze()  # (1, 2, 1, 4) -> (2, 4)
squeeze_2 = y.squeeze(0)  # (1, 2, 1, 4) -> (2, 1, 4)
squeeze_3 = y.squeeze(2)  # (1, 2, 1, 4) -> (1, 2, 4)
squeeze_4 = y5.squeeze()  # (1, 3, 1, 1, 5) -> (3, 5)
squeeze_5 = y5.squeeze(0)  # (1, 3, 1, 1, 5) -> (3, 1, 1, 5)
squeeze_6 = y5.squeeze(2)  # (1, 3, 1, 1, 5) -> (1, 3, 1, 5)
squeeze_7 = y5.squeeze(3)  # (1, 3, 1, 1, 5) -> (1, 3, 1, 5)
squeeze_8 = y3.squeeze()  # (1, 1, 4) -> (4,)
squeeze_9 = y3.squeeze(0)  # (1, 1, 4) -> (1, 4)
squeeze_10 = y3.squeeze(1)  # (1, 1, 4) -> (1, 4)
squeeze_11 = z.squeeze()  # (2, 1, 3, 1) -> (2, 3)
squeeze_12 = z.squeeze(1)  # (2, 1, 3, 1) -> (2, 3, 1)
squeeze_13 = z.squeeze(3)  # (2, 1, 3, 1) -> (2, 1, 3)
squeeze_14 = w.squeeze((0, 2))  # (1, 5, 1) -> (5,)
squeeze_15 = y5.squeeze((0, 3))  # (1, 3, 1, 1, 5) -> (3, 1, 5)
