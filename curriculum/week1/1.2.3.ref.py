"""Reference solution of 1.2.3 (Practice Set 3: Range slicing — 15 variants)."""

import torch

x = torch.randn(4, 5, 6)  # base tensor

range_1 = x[0:2]  # first 2 pages [0:2]
range_2 = x[1:3]  # middle 2 pages [1:3]
range_3 = x[2:4]  # last 2 pages [2:4]
range_4 = x[:2]  # first 2 pages with implicit start [:2]
range_5 = x[2:]  # last 2 pages with implicit end [2:]
range_6 = x[:]  # all pages [:]
range_7 = x[0:4]  # all pages explicit [0:4]
range_8 = x[1:4]  # skip first page [1:4]
range_9 = x[0:3]  # skip last page [0:3]
range_10 = x[0:1]  # 1 page as a range [0:1]
range_11 = x[3:4]  # last page as a range [3:4]
range_12 = x[-2:]  # last 2 pages using negative [-2:]
range_13 = x[:-1]  # all except last page [:-1]
range_14 = x[-3:-1]  # range with negative indices [-3:-1]
range_15 = x[1:-1]  # remove first and last page [1:-1]
