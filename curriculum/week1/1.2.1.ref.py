"""Reference solution of 1.2.1 (Practice Set 1: Single element access — 15 variants)."""

import torch

x = torch.randn(4, 5, 6)  # base tensor

elem_1 = x[0, 1, 2]  # element at position [0, 1, 2]
elem_2 = x[1, 0, 3]  # element at position [1, 0, 3]
elem_3 = x[2, 2, 1]  # element at position [2, 2, 1]
elem_4 = x[3, 4, 5]  # element at position [3, 4, 5] (last valid indices)
elem_5 = x[0, 0, 0]  # first element [0, 0, 0]
elem_6 = x[-1, -1, -1]  # last element [-1, -1, -1] (all negative)
elem_7 = x[-1, 0, 0]  # element with mixed indices [-1, 0, 0]
elem_8 = x[0, -1, 0]  # element with negative in middle dimension [0, -1, 0]
elem_9 = x[0, 0, -1]  # element with negative in last dimension [0, 0, -1]
elem_10 = x[1, 2, 3]  # element at position [1, 2, 3]
elem_11 = x[2, 1, 4]  # element at position [2, 1, 4]
elem_12 = x[0, 3, 2]  # element at position [0, 3, 2]
elem_13 = x[3, 1, 1]  # element at position [3, 1, 1]
elem_14 = x[1, 4, 0]  # element at position [1, 4, 0]
elem_15 = x[2, 3, 5]  # element at position [2, 3, 5]
