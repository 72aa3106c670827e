"""Reference solution of 4.2.4 (Practice Set 4: Pooling layers — 10 declarations)."""

import torch.nn as nn

pool_1 = nn.MaxPool2d(kernel_size=2)  # standard 2x2 max pooling
pool_2 = nn.MaxPool2d(kernel_size=3, stride=2)  # overlapping max pool
pool_3 = nn.AvgPool2d(kernel_size=2)  # average pooling 2x2
pool_4 = nn.AvgPool2d(kernel_size=4, stride=4)  # non-overlapping avg pool
pool_5 = nn.AdaptiveMaxPool2d((1, 1))  # global max pooling
pool_6 = nn.AdaptiveAvgPool2d((1, 1))  # global average pooling
pool_7 = nn.AdaptiveAvgPool2d((7, 7))  # fixed output size
pool_8 = nn.MaxPool1d(kernel_size=3)  # 1D max pooling
pool_9 = nn.AvgPool1d(kernel_size=5, stride=2)  # 1D avg pooling
pool_10 = nn.AdaptiveMaxPool1d(1)  # global 1D max pooling
