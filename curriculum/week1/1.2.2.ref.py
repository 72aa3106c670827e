"""Reference solution of 1.2.2 (Practice Set 2: First dimension slicing — 15 variants)."""

import torch

x = torch.randn(4, 5, 6)  # base tensor
x6 = torch.randn(6, 5, 6)  # base tensor

slice_1 = x[0]  # first page [0]
slice_2 = x[1]  # second page [1]
slice_3 = x[2]  # third page [2]
slice_4 = x[3]  # fourth page [3]
slice_5 = x[-1]  # last page [-1] (negative indexing)
slice_6 = x[-2]  # second from last page [-2] (errata: the seed says 'third from last')
slice_7 = x[-3]  # third from last page [-3] (errata: the seed says 'second from last')
slice_8 = x[-4]  # first page using negative [-4]
slice_9 = x6[0]  # from the 6-page tensor `x6`, first page [0]
slice_10 = x6[5]  # from `x6`, last page [5]
slice_11 = x6[-1]  # from `x6`, last page [-1]
slice_12 = x6[2]  # from `x6`, middle page [2] (of 6 pages, 2 and 3 are both middle)
slice_13 = x6[3]  # from `x6`, page [3]
slice_14 = x6[4]  # from `x6`, page [4]
slice_15 = x6[1]  # from `x6`, page [1]
