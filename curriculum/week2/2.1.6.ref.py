"""Reference solution of 2.1.6 (Practice Set 6: permute() — 15 variants)."""

import torch

x = torch.randn(2, 3, 4)  # base tensor
t3 = torch.randn(5, 6, 7)  # 3D tensor
t4 = torch.randn(2, 3, 4, 5)  # 4D tensor
nhwc = torch.randn(4, 6, 8, 3)  # image batch in NHWC layout (N=4, H=6, W=8, C=3)
nchw = torch.randn(4, 3, 6, 8)  # image batch in NCHW layout (N=4, C=3, H=6, W=8)
t5 = torch.randn(2, 3, 4, 5, 6)  # 5D tensor

permute_1 = x.permute(2, 0, 1)  # (2, 3, 4) -> (4, 2, 3)
permute_2 = x.permute(1, 2, 0)  # (2, 3, 4) -> (3, 4, 2)
permute_3 = x.permute(2, 1, 0)  # (2, 3, 4) -> (4, 3, 2)
permute_4 = t3.permute(2, 0, 1)  # (5, 6, 7) -> (7, 5, 6)
permute_5 = t3.permute(1, 2, 0)  # (5, 6, 7) -> (6, 7, 5)
permute_6 = t3.permute(2, 1, 0)  # (5, 6, 7) -> (7, 6, 5)
permute_7 = t3.permute(0, 2, 1)  # (5, 6, 7) -> (5, 7, 6)
permute_8 = t4.permute(3, 2, 1, 0)  # (2, 3, 4, 5) -> (5, 4, 3, 2)
permute_9 = t4.permute(1, 0, 2, 3)  # (2, 3, 4, 5) -> (3, 2, 4, 5)
permute_10 = t4.permute(0, 2, 1, 3)  # (2, 3, 4, 5) -> (2, 4, 3, 5)
permute_11 = t4.permute(3, 0, 1, 2)  # (2, 3, 4, 5) -> (5, 2, 3, 4)
permute_12 = nhwc.permute(0, 3, 1, 2)  # (4, 6, 8, 3) -> (4, 3, 6, 8)
permute_13 = nchw.permute(0, 2, 3, 1)  # (4, 3, 6, 8) -> (4, 6, 8, 3)
permute_14 = t5.permute(0, 4, 2, 1, 3)  # (2, 3, 4, 5, 6) -> (2, 6, 4, 3, 5)
permute_15 = t4.permute(1, 3, 0, 2)  # (2, 3, 4, 5) -> (3, 5, 2, 4)
