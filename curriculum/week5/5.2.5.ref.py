"""Reference solution of 5.2.5 (distributed training simulation)."""

from collections import deque

import torch
import torch.nn as nn


class DistributedSimulator:
    def __init__(self, model, num_workers=4, accumulation_steps=4):
        self.model = model
        self.num_workers = num_workers
        self.accumulation_steps = accumulation_steps

    def gradient_accumulation_training(self, dataloader, optimizer, num_epochs=3):
        """One optimizer step per `accumulation_steps` micro-batches (loss scaled down)."""
        criterion = nn.CrossEntropyLoss()
        optimizer.zero_grad()
        for _epoch in range(num_epochs):
            for batch_idx, (data, target) in enumerate(dataloader):
                output = self.model(data)
                loss = criterion(output, target) / self.accumulation_steps
                loss.backward()
                if (batch_idx + 1) % self.accumulation_steps == 0:
                    optimizer.step()
                    optimizer.zero_grad()

    def simulated_all_reduce(self, worker_grads):
        """Average the workers' gradients (one list of tensors per worker, in
        model.parameters() order) and store the mean in each parameter's .grad."""
        averaged = []
        for param, grads in zip(self.model.parameters(), zip(*worker_grads, strict=True), strict=True):
            mean = torch.stack(grads).mean(dim=0)
            param.grad = mean.clone()
            averaged.append(mean)
        return averaged

    def asynchronous_updates(self, dataloader, optimizer, staleness=1):
        """Each batch's gradient (computed at the current parameters) is applied
        `staleness` updates later; the queue is drained at the end."""
        criterion = nn.CrossEntropyLoss()
        queue = deque()
        for data, target in dataloader:
            optimizer.zero_grad()
            output = self.model(data)
            loss = criterion(output, target)
            loss.backward()
            queue.append([p.grad.detach().clone() for p in self.model.parameters()])
            if len(queue) > staleness:
                self._apply(queue.popleft(), optimizer)
        while queue:
            self._apply(queue.popleft(), optimizer)

    def _apply(self, grads, optimizer):
        for p, g in zip(self.model.parameters(), grads, strict=True):
            p.grad = g
        optimizer.step()
