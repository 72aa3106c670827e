"""Reference solution of 2.1.5 (Practice Set 5: transpose() — 15 variants)."""

import torch

x = torch.randn(2, 3, 4)  # base tensor
t3 = torch.randn(5, 6, 7)  # 3D tensor
t2 = torch.randn(4, 5)  # 2D tensor
t4 = torch.randn(2, 3, 4, 5)  # 4D tensor

transpose_1 = x.transpose(0, 1)  # (2, 3, 4) -> (3, 2, 4)
transpose_2 = x.transpose(1, 2)  # (2, 3, 4) -> (2, 4, 3)
transpose_3 = x.transpose(0, 2)  # (2, 3, 4) -> (4, 3, 2)
transpose_4 = t3.transpose(0, 1)  # (5, 6, 7) -> (6, 5, 7)
transpose_5 = t3.transpose(1, 2)  # (5, 6, 7) -> (5, 7, 6)
transpose_6 = t3.transpose(0, 2)  # (5, 6, 7) -> (7, 6, 5)
transpose_7 = t2.transpose(0, 1)  # (4, 5) -> (5, 4)
transpose_8 = t4.transpose(0, 1)  # (2, 3, 4, 5) -> (3, 2, 4, 5)
transpose_9 = t4.transpose(1, 2)  # (2, 3, 4, 5) -> (2, 4, 3, 5)
transpose_10 = t4.transpose(2, 3)  # (2, 3, 4, 5) -> (2, 3, 5, 4)
transpose_11 = t4.transpose(0, 3)  # (2, 3, 4, 5) -> (5, 3, 4, 2)
transpose_12 = x.transpose(-1, -2)  # (2, 3, 4) -> (2, 4, 3)
transpose_13 = x.transpose(0, -1)  # (2, 3, 4) -> (4, 3, 2)
transpose_14 = x.transpose(-2, -3)  # (2, 3, 4) -> (3, 2, 4)
transpose_15 = x.transpose(0, 1).transpose(1, 2)  # (2, 3, 4) -> (3, 4, 2)
