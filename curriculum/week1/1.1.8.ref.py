"""Reference solution of 1.1.8 (Practice Set 8: torch.empty() — 10 variants)."""

import math

import numpy as np
import torch

empty_1 = torch.empty(3, 4)
empty_2 = torch.empty(2, 3, 4)
empty_3 = torch.empty(5)
empty_4 = torch.empty(1, 10)
empty_5 = torch.empty(10, 1)
empty_6 = torch.empty(2, 2, 2, 2)
empty_7 = torch.empty(3, 4, dtype=torch.float32)
empty_8 = torch.empty(5, 5, dtype=torch.int64)
empty_9 = torch.empty(1)
empty_10 = torch.empty(7, 7)
