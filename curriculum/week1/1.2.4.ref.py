"""Reference solution of 1.2.4 (Practice Set 4: All dimensions slicing — 15 variants)."""

import torch

x = torch.randn(4, 5, 6)  # base tensor

all_1 = x[0, :, :]  # first page, all rows, all columns [0, :, :]
all_2 = x[1, :, :]  # second page, all rows, all columns [1, :, :]
all_3 = x[:, 0, :]  # all pages, first row, all columns [:, 0, :]
all_4 = x[:, 1, :]  # all pages, second row, all columns [:, 1, :]
all_5 = x[:, :, 0]  # all pages, all rows, first column [:, :, 0]
all_6 = x[:, :, 1]  # all pages, all rows, second column [:, :, 1]
all_7 = x[-1, :, :]  # last page, all rows, all columns [-1, :, :]
all_8 = x[:, -1, :]  # all pages, last row, all columns [:, -1, :]
all_9 = x[:, :, -1]  # all pages, all rows, last column [:, :, -1]
all_10 = x[0, 0, :]  # first page, first row, all columns [0, 0, :]
all_11 = x[0, :, 0]  # first page, all rows, first column [0, :, 0]
all_12 = x[:, 0, 0]  # all pages, first row, first column [:, 0, 0]
all_13 = x[2, :, :]  # middle page, all rows, all columns [2, :, :] (of 4 pages, 1 and 2 are both middle)
all_14 = x[:, 2, :]  # all pages, middle row, all columns [:, 2, :]
all_15 = x[:, :, 3]  # all pages, all rows, middle column [:, :, 3] (of 6 columns, 2 and 3 are both middle)
