"""Reference solution of 2.1.1 (Practice Set 1: view() — 15 variants)."""

import torch

x = torch.randn(2, 3, 4)  # base tensor

view_1 = x.view(6, 4)  # (2, 3, 4) -> (6, 4)
view_2 = x.view(2, 12)  # (2, 3, 4) -> (2, 12)
view_3 = x.view(24)  # (2, 3, 4) -> (24,)
view_4 = x.view(-1, 4)  # (2, 3, 4) -> (6, 4)
view_5 = x.view(2, -1)  # (2, 3, 4) -> (2, 12)
view_6 = x.view(3, 8)  # (2, 3, 4) -> (3, 8)
view_7 = x.view(4, 6)  # (2, 3, 4) -> (4, 6)
view_8 = x.view(1, 24)  # (2, 3, 4) -> (1, 24)
view_9 = x.view(24, 1)  # (2, 3, 4) -> (24, 1)
view_10 = x.view(12, 2)  # (2, 3, 4) -> (12, 2)
view_11 = x.view(8, 3)  # (2, 3, 4) -> (8, 3)
view_12 = x.view(1, 2, 12)  # (2, 3, 4) -> (1, 2, 12)
view_13 = x.view(2, 1, 12)  # (2, 3, 4) -> (2, 1, 12)
view_14 = x.view(6, 2, 2)  # (2, 3, 4) -> (6, 2, 2)
view_15 = x.view(4, 3, 2)  # (2, 3, 4) -> (4, 3, 2)
