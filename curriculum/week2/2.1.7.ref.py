"""Reference solution of 2.1.7 (Practice Set 7: flatten() — 15 variants)."""

import torch

x = torch.randn(2, 3, 4)  # base tensor
t4 = torch.randn(2, 3, 4, 5)  # 4D tensor
t5 = torch.randn(2, 3, 4, 5, 6)  # 5D tensor
imgs = torch.randn(4, 3, 6, 8)  # image batch (N=4, C=3, H=6, W=8)
seq = torch.randn(4, 10, 2, 8)  # sequence batch (batch=4, seq_len=10, heads=2, head_dim=8)

flatten_1 = x.flatten()  # (2, 3, 4) -> (24,)
flatten_2 = x.flatten(1)  # (2, 3, 4) -> (2, 12)
flatten_3 = x.flatten(0, 1)  # (2, 3, 4) -> (6, 4)
flatten_4 = t4.flatten()  # (2, 3, 4, 5) -> (120,)
flatten_5 = t4.flatten(1)  # (2, 3, 4, 5) -> (2, 60)
flatten_6 = t4.flatten(2)  # (2, 3, 4, 5) -> (2, 3, 20)
flatten_7 = t4.flatten(3)  # (2, 3, 4, 5) -> (2, 3, 4, 5)
flatten_8 = t4.flatten(0, 1)  # (2, 3, 4, 5) -> (6, 4, 5)
flatten_9 = t4.flatten(0, 2)  # (2, 3, 4, 5) -> (24, 5)
flatten_10 = t4.flatten(1, 2)  # (2, 3, 4, 5) -> (2, 12, 5)
flatten_11 = t4.flatten(2, 3)  # (2, 3, 4, 5) -> (2, 3, 20)
flatten_12 = t5.flatten(1, 3)  # (2, 3, 4, 5, 6) -> (2, 60, 6)
flatten_13 = imgs.flatten(1)  # (4, 3, 6, 8) -> (4, 144)
flatten_14 = imgs.flatten(2)  # (4, 3, 6, 8) -> (4, 3, 48)
flatten_15 = seq.flatten(2)  # (4, 10, 2, 8) -> (4, 10, 16)
