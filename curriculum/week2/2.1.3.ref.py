"""Reference solution of 2.1.3 (Practice Set 3: unsqueeze() — 15 variants)."""

import torch

x = torch.randn(2, 3, 4)  # base tensor
m = torch.randn(3, 4)  # 2D tensor
v = torch.randn(5,)  # 1D tensor

unsqueeze_1 = x.unsqueeze(0)  # (2, 3, 4) -> (1, 2, 3, 4)
unsqueeze_2 = x.unsqueeze(1)  # (2, 3, 4) -> (2, 1, 3, 4)
unsqueeze_3 = x.unsqueeze(2)  # (2, 3, 4) -> (2, 3, 1, 4)
unsqueeze_4 = x.unsqueeze(3)  # (2, 3, 4) -> (2, 3, 4, 1)
unsqueeze_5 = x.unsqueeze(-1)  # (2, 3, 4) -> (2, 3, 4, 1)
unsqueeze_6 = x.unsqueeze(-2)  # (2, 3, 4) -> (2, 3, 1, 4)
unsqueeze_7 = x.unsqueeze(-3)  # (2, 3, 4) -> (2, 1, 3, 4)
unsqueeze_8 = x.unsqueeze(-4)  # (2, 3, 4) -> (1, 2, 3, 4)
unsqueeze_9 = m.unsqueeze(0)  # (3, 4) -> (1, 3, 4)
unsqueeze_10 = m.unsqueeze(1)  # (3, 4) -> (3, 1, 4)
unsqueeze_11 = m.unsqueeze(2)  # (3, 4) -> (3, 4, 1)
unsqueeze_12 = v.unsqueeze(0)  # (5,) -> (1, 5)
unsqueeze_13 = v.unsqueeze(1)  # (5,) -> (5, 1)
unsqueeze_14 = v.unsqueeze(-1)  # (5,) -> (5, 1)
unsqueeze_15 = v.unsqueeze(-2)  # (5,) -> (1, 5)
