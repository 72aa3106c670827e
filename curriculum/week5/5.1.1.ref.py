"""Reference solution of 5.1.1 (training loops, practice set 1: regression)."""

import torch
import torch.nn as nn
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset


def train_loop_1(model, X, y):
    # Linear regression: MSELoss, Adam, 10 epochs, batch size 32
    criterion = nn.MSELoss()
    optimizer = optim.Adam(model.parameters(), lr=0.05)
    dataloader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True)
    for _epoch in range(10):
        for data, target in dataloader:
            optimizer.zero_grad()
            output = model(data)
            loss = criterion(output, target)
            loss.backward()
            optimizer.step()
    return model


def train_loop_2(model, X, y):
    # Polynomial regression on the given features [x, x**2, x**3]: MSELoss, SGD, 15 epochs
    criterion = nn.MSELoss()
    optimizer = optim.SGD(model.parameters(), lr=0.01)
    dataloader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True)
    for _epoch in range(15):
        for data, target in dataloader:
            optimizer.zero_grad()
            output = model(data)
            loss = criterion(output, target)
            loss.backward()
            optimizer.step()
    return model


def train_loop_3(model, X, y):
    # Multi-output regression: MSELoss, RMSprop, 20 epochs
    criterion = nn.MSELoss()
    optimizer = optim.RMSprop(model.parameters(), lr=0.01)
    dataloader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True)
    for _epoch in range(20):
        for data, target in dataloader:
            optimizer.zero_grad()
            output = model(data)
            loss = criterion(output, target)
            loss.backward()
            optimizer.step()
    return model


def train_loop_4(model, X, y):
    # Robust regression: L1Loss, Adam, 12 epochs
    criterion = nn.L1Loss()
    optimizer = optim.Adam(model.parameters(), lr=0.02)
    dataloader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True)
    for _epoch in range(12):
        for data, target in dataloader:
            optimizer.zero_grad()
            output = model(data)
            loss = criterion(output, target)
            loss.backward()
            optimizer.step()
    return model


def train_loop_5(model, X, y):
    # Regularized regression: MSELoss + 0.001 * sum of squared parameters, AdamW, 25 epochs
    criterion = nn.MSELoss()
    optimizer = optim.AdamW(model.parameters(), lr=0.01)
    dataloader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True)
    l2_lambda = 0.001
    for _epoch in range(25):
        for data, target in dataloader:
            optimizer.zero_grad()
            output = model(data)
            l2_penalty = sum(p.pow(2).sum() for p in model.parameters())
            loss = criterion(output, target) + l2_lambda * l2_penalty
            loss.backward()
            optimizer.step()
    return model
