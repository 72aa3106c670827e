"""Reference solution of 5.1.2 (training loops, practice set 2: classification)."""

import torch
import torch.nn as nn
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset


def train_loop_6(model, X, y):
    # Binary classification: BCEWithLogitsLoss (the sigmoid is inside the loss), Adam,
    # 15 epochs, batch size 64
    criterion = nn.BCEWithLogitsLoss()
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    dataloader = DataLoader(TensorDataset(X, y), batch_size=64, shuffle=True)
    for _epoch in range(15):
        for data, target in dataloader:
            optimizer.zero_grad()
            output = model(data)
            loss = criterion(output, target)
            loss.backward()
            optimizer.step()
    return model


def train_loop_7(model, X, y):
    # Multi-class classification (10 classes): CrossEntropyLoss, SGD, 10 epochs
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(model.parameters(), lr=0.01)
    dataloader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True)
    for _epoch in range(10):
        for data, target in dataloader:
            optimizer.zero_grad()
            output = model(data)
            loss = criterion(output, target)
            loss.backward()
            optimizer.step()
    return model


def train_loop_8(model, X, y):
    # "MNIST" digits (8x8): LogSoftmax + NLLLoss, Adam, 10 epochs
    criterion = nn.NLLLoss()
    log_softmax = nn.LogSoftmax(dim=1)
    optimizer = optim.Adam(model.parameters(), lr=0.001)
    dataloader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True)
    for _epoch in range(10):
        for data, target in dataloader:
            optimizer.zero_grad()
            output = log_softmax(model(data))
            loss = criterion(output, target)
            loss.backward()
            optimizer.step()
    return model


def train_loop_9(model, X, y):
    # Imbalanced classes: CrossEntropyLoss with class weights n / (C * count_c), Adam, 10 epochs
    num_classes = 3
    counts = torch.bincount(y, minlength=num_classes).float()
    weights = len(y) / (num_classes * counts)
    criterion = nn.CrossEntropyLoss(weight=weights)
    optimizer = optim.Adam(model.parameters(), lr=0.005)
    dataloader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True)
    for _epoch in range(10):
        for data, target in dataloader:
            optimizer.zero_grad()
            output = model(data)
            loss = criterion(output, target)
            loss.backward()
            optimizer.step()
    return model


def train_loop_10(model, X, y):
    # Multi-label (5 independent labels): BCEWithLogitsLoss, AdamW, 10 epochs
    criterion = nn.BCEWithLogitsLoss()
    optimizer = optim.AdamW(model.parameters(), lr=0.01)
    dataloader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True)
    for _epoch in range(10):
        for data, target in dataloader:
            optimizer.zero_grad()
            output = model(data)
            loss = criterion(output, target)
            loss.backward()
            optimizer.step()
    return model
