"""Reference solution of 1.1.7 (Practice Set 7: torch.tensor() — 10 variants)."""

import math

import numpy as np
import torch

tensor_1 = torch.tensor([1, 2, 3])
tensor_2 = torch.tensor([[1, 2], [3, 4]])
tensor_3 = torch.tensor(np.array([1.0, 2.0, 3.0]))
tensor_4 = torch.tensor(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
tensor_5 = torch.tensor([True, False, True]).numpy()
tensor_6 = torch.tensor([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]).numpy()
tensor_7 = torch.tensor(np.array([1]))
tensor_8 = torch.tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
tensor_9 = torch.tensor(np.eye(3))
tensor_10 = torch.tensor([[-1, -2], [-3, -4]]).numpy()
