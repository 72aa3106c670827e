"""Reference solution of 1.1.5 (Practice Set 5: torch.arange() — 10 variants)."""

import math

import numpy as np
import torch

arange_1 = torch.arange(0, 10)
arange_2 = torch.arange(1, 10)
arange_3 = torch.arange(0, 10, 2)
arange_4 = torch.arange(5, 50, 5)
arange_5 = torch.arange(-10, 10)
arange_6 = torch.arange(100, 0, -1)
arange_7 = torch.arange(0, 1, 0.1)
arange_8 = torch.arange(1.0, 10.0, 0.5)
arange_9 = torch.arange(0, 100, 10)
arange_10 = torch.arange(-5, 5)
