"""Reference solution of 4.2.3 (Practice Set 3: Conv1d layers — 10 declarations)."""

import torch.nn as nn

conv1d_1 = nn.Conv1d(100, 256, kernel_size=3)  # sequence feature extraction
conv1d_2 = nn.Conv1d(256, 512, kernel_size=5, padding=2)  # larger context
conv1d_3 = nn.Conv1d(512, 256, kernel_size=1)  # pointwise conv 1D
conv1d_4 = nn.Conv1d(50, 128, kernel_size=7, stride=2)  # downsampling 1D
conv1d_5 = nn.Conv1d(128, 64, kernel_size=3, dilation=2)  # dilated 1D conv
conv1d_6 = nn.Conv1d(1, 32, kernel_size=15)  # single channel to multi
conv1d_7 = nn.Conv1d(32, 64, kernel_size=9, padding=4)  # symmetric padding
conv1d_8 = nn.Conv1d(64, 128, kernel_size=5, groups=32)  # grouped conv 1D
conv1d_9 = nn.Conv1d(300, 600, kernel_size=3, stride=1)  # expansion conv
conv1d_10 = nn.Conv1d(200, 100, kernel_size=11, padding=5)  # large kernel 1D
