"""Reference solution of 2.1.2 (Practice Set 2: reshape() — 15 variants)."""

import torch

x = torch.randn(2, 3, 4)  # base tensor

reshape_1 = x.reshape(6, 4)  # (2, 3, 4) -> (6, 4)
reshape_2 = x.reshape(2, 12)  # (2, 3, 4) -> (2, 12)
reshape_3 = x.reshape(24)  # (2, 3, 4) -> (24,)
reshape_4 = x.reshape(-1, 4)  # (2, 3, 4) -> (6, 4)
reshape_5 = x.reshape(2, -1)  # (2, 3, 4) -> (2, 12)
reshape_6 = x.reshape(3, 8)  # (2, 3, 4) -> (3, 8)
reshape_7 = x.reshape(4, 6)  # (2, 3, 4) -> (4, 6)
reshape_8 = x.reshape(1, 24)  # (2, 3, 4) -> (1, 24)
reshape_9 = x.reshape(24, 1)  # (2, 3, 4) -> (24, 1)
reshape_10 = x.reshape(12, 2)  # (2, 3, 4) -> (12, 2)
reshape_11 = x.reshape(8, 3)  # (2, 3, 4) -> (8, 3)
reshape_12 = x.reshape(1, 2, 12)  # (2, 3, 4) -> (1, 2, 12)
reshape_13 = x.reshape(2, 1, 12)  # (2, 3, 4) -> (2, 1, 12)
reshape_14 = x.reshape(6, 2, 2)  # (2, 3, 4) -> (6, 2, 2)
reshape_15 = x.reshape(4, 3, 2)  # (2, 3, 4) -> (4, 3, 2)
