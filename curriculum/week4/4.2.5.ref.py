"""Reference solution of 4.2.5 (Practice Set 5: Normalization layers — 10 declarations)."""

import torch.nn as nn

norm_1 = nn.BatchNorm1d(256)  # 1D batch normalization
norm_2 = nn.BatchNorm2d(64)  # 2D batch normalization
norm_3 = nn.LayerNorm(512)  # layer normalization
norm_4 = nn.GroupNorm(32, 256)  # group normalization
norm_5 = nn.InstanceNorm2d(128)  # instance normalization
norm_6 = nn.BatchNorm1d(1024, momentum=0.1)  # custom momentum
norm_7 = nn.LayerNorm([256, 256])  # 2D layer norm
norm_8 = nn.GroupNorm(8, 128)  # fewer groups
norm_9 = nn.BatchNorm2d(32, eps=1e-3)  # custom epsilon
norm_10 = nn.LocalResponseNorm(5)  # local response normalization
