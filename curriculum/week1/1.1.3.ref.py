"""Reference solution of 1.1.3 (Practice Set 3: torch.rand() — 10 variants)."""

import math

import numpy as np
import torch

rand_1 = torch.rand(3, 4)
rand_2 = torch.rand(2, 3, 4)
rand_3 = torch.rand(100)
rand_4 = torch.rand(1, 5)
rand_5 = torch.rand(5, 1)
rand_6 = torch.rand(2, 2, 2)
rand_7 = torch.rand(10, 10)
rand_8 = torch.rand(1, 1, 1, 1)
rand_9 = torch.rand(50)
rand_10 = torch.rand(3, 3, 3, 3)
