"""Reference solution of 1.1.2 (Practice Set 2: torch.ones() — 10 variants)."""

import math

import numpy as np
import torch

ones_1 = torch.ones(3, 4)
ones_2 = torch.ones(2, 3, 4)
ones_3 = torch.ones(5)
ones_4 = torch.ones(1, 10)
ones_5 = torch.ones(10, 1)
ones_6 = torch.ones(2, 2, 2, 2)
ones_7 = torch.ones(3, 4, dtype=torch.float32)
ones_8 = torch.ones(5, 5, dtype=torch.int64)
ones_9 = torch.ones(1)
ones_10 = torch.ones(6, 6)
