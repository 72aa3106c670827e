"""Reference solution of 1.1.4 (Practice Set 4: torch.randn() — 10 variants)."""

import math

import numpy as np
import torch

randn_1 = torch.randn(3, 4)
randn_2 = torch.randn(2, 3, 4)
randn_3 = torch.randn(100)
randn_4 = torch.randn(1, 5)
randn_5 = torch.randn(5, 1)
randn_6 = torch.randn(2, 2, 2)
randn_7 = torch.randn(10, 10)
randn_8 = torch.randn(1, 1, 1, 1)
randn_9 = torch.randn(50)
randn_10 = torch.randn(3, 3, 3, 3)
