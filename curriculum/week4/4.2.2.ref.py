"""Reference solution of 4.2.2 (Practice Set 2: Conv2d layers — 10 declarations)."""

import torch.nn as nn

conv2d_1 = nn.Conv2d(3, 64, kernel_size=3)  # RGB input, 3x3 filter
conv2d_2 = nn.Conv2d(64, 128, kernel_size=3, stride=2)  # downsampling conv
conv2d_3 = nn.Conv2d(128, 256, kernel_size=3, padding=1)  # same size conv
conv2d_4 = nn.Conv2d(1, 32, kernel_size=5)  # grayscale input, 5x5 filter
conv2d_5 = nn.Conv2d(32, 64, kernel_size=1)  # 1x1 pointwise conv
conv2d_6 = nn.Conv2d(256, 512, kernel_size=3, stride=1, padding=1)  # standard conv
conv2d_7 = nn.Conv2d(3, 16, kernel_size=7, padding=3)  # large kernel
conv2d_8 = nn.Conv2d(512, 256, kernel_size=3, groups=256)  # grouped conv (see errata)
conv2d_9 = nn.Conv2d(64, 64, kernel_size=3, padding=1, dilation=2)  # dilated conv
conv2d_10 = nn.Conv2d(128, 64, kernel_size=3, bias=False)  # no bias conv
