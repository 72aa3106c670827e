"""Reference solution of 6.3.1 (personal syntax reference, written from memory)."""

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

# ===== TENSOR CREATION =====
zeros = torch.zeros(3, 4)
ones = torch.ones(3, 4)
rand = torch.rand(3, 4)
randn = torch.randn(3, 4)
arange = torch.arange(10)
linspace = torch.linspace(0, 1, 5)
tensor = torch.tensor([1, 2, 3])

# ===== TENSOR OPERATIONS =====
a = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
b = torch.tensor([[5.0, 6.0], [7.0, 8.0]])
added = torch.add(a, b)
multiplied = a * b
matmul = torch.matmul(a, b)

x = torch.arange(24.0).reshape(2, 3, 4)
viewed = x.view(-1, 4)
reshaped = x[0].reshape(4, 3)
unsqueezed = x.unsqueeze(0)
squeezed = unsqueezed.squeeze()
transposed = x.transpose(0, 1)
permuted = x.permute(2, 0, 1)

# ===== AUTOGRAD =====
w = torch.tensor(2.0, requires_grad=True)
y = w ** 2
y.backward()
w_grad = w.grad.clone()      # dy/dw = 2w = 4


# ===== NN.MODULE =====
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer1 = nn.Linear(10, 20)
        self.layer2 = nn.Linear(20, 1)

    def forward(self, x):
        x = F.relu(self.layer1(x))
        return self.layer2(x)


# ===== TRAINING LOOP =====
def train(model, dataloader, num_epochs):
    criterion = nn.MSELoss()
    optimizer = optim.Adam(model.parameters(), lr=0.001)
    for _ in range(num_epochs):
        for data, target in dataloader:
            optimizer.zero_grad()
            output = model(data)
            loss = criterion(output, target)
            loss.backward()
            optimizer.step()
    return model
