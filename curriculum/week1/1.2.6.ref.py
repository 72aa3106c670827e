"""Reference solution of 1.2.6 (Practice Set 6: Negative indexing — 15 variants)."""

import torch

x = torch.randn(4, 5, 6)  # base tensor

neg_1 = x[-1]  # last page [-1]
neg_2 = x[-2]  # second from last page [-2]
neg_3 = x[:, -1]  # last row of all pages [:, -1]
neg_4 = x[:, -2]  # second from last row [:, -2]
neg_5 = x[:, :, -1]  # last column of all pages [:, :, -1]
neg_6 = x[:, :, -2]  # second from last column [:, :, -2]
neg_7 = x[-1, -1]  # last page, last row [-1, -1]
neg_8 = x[-1, :, -1]  # last page, all rows, last column [-1, :, -1]
neg_9 = x[:, -1, -1]  # all pages, last row, last column [:, -1, -1]
neg_10 = x[-1, -1, -1]  # last element [-1, -1, -1]
neg_11 = x[-2, -2, -2]  # second from last element in each dimension [-2, -2, -2]
neg_12 = x[0, -1, :]  # first page, last row, all columns [0, -1, :]
neg_13 = x[-1, 0, :]  # last page, first row, all columns [-1, 0, :]
neg_14 = x[:, 0, -1]  # all pages, first row, last column [:, 0, -1]
neg_15 = x[1, -2, 3]  # mixed positive/negative indices [1, -2, 3]
