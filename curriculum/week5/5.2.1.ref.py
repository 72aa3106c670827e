"""Reference solution of 5.2.1 (multi-task trainer with uncertainty weighting)."""

import torch
import torch.nn as nn
import torch.optim as optim


class MultiTaskTrainer:
    def __init__(self, model, task_configs, device="cpu"):
        self.model = model.to(device)
        self.device = device
        self.task_configs = task_configs
        self.task_names = list(task_configs.keys())
        self.loss_functions = {}
        for name, config in task_configs.items():
            if config["task_type"] == "classification":
                self.loss_functions[name] = nn.CrossEntropyLoss()
            else:
                self.loss_functions[name] = nn.MSELoss()
        # learnable per-task uncertainty sigma_i, trained with the model
        self.uncertainty_weights = nn.Parameter(torch.ones(len(self.task_names)))
        lr = task_configs[self.task_names[0]].get("lr", 0.001)
        self.optimizer = optim.Adam([*model.parameters(), self.uncertainty_weights], lr=lr)
        self.loss_history = {name: [] for name in self.task_names}

    def adaptive_loss_balancing(self, task_losses):
        """sum_i L_i / (2 sigma_i^2) + log sigma_i, sigma in task_configs order."""
        total = 0.0
        for i, name in enumerate(self.task_names):
            if name in task_losses:
                sigma = self.uncertainty_weights[i]
                total = total + task_losses[name] / (2 * sigma ** 2) + torch.log(sigma)
        return total

    def train_epoch(self, data_loaders):
        self.model.train()
        iterators = {name: iter(loader) for name, loader in data_loaders.items()}
        sums = {name: 0.0 for name in data_loaders}
        counts = {name: 0 for name in data_loaders}
        for _ in range(max(len(loader) for loader in data_loaders.values())):
            batch_losses = {}
            for name in self.task_names:
                if name not in iterators:
                    continue
                try:
                    data, target = next(iterators[name])
                except StopIteration:
                    continue
                data, target = data.to(self.device), target.to(self.device)
                output = self.model(data, active_tasks=[name])[name]
                batch_losses[name] = self.loss_functions[name](output, target)
                sums[name] += batch_losses[name].item()
                counts[name] += 1
            if not batch_losses:
                break
            self.optimizer.zero_grad()
            combined = self.adaptive_loss_balancing(batch_losses)
            combined.backward()
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), max_norm=1.0)
            self.optimizer.step()
        averages = {name: sums[name] / max(1, counts[name]) for name in sums}
        for name, value in averages.items():
            self.loss_history[name].append(value)
        return averages

    def validate(self, val_loaders):
        self.model.eval()
        results = {}
        with torch.no_grad():
            for name, loader in val_loaders.items():
                loss_sum, correct, total = 0.0, 0, 0
                for data, target in loader:
                    data, target = data.to(self.device), target.to(self.device)
                    output = self.model(data, active_tasks=[name])[name]
                    loss_sum += self.loss_functions[name](output, target).item()
                    if self.task_configs[name]["task_type"] == "classification":
                        correct += (output.argmax(dim=1) == target).sum().item()
                        total += target.size(0)
                results[name] = {"loss": loss_sum / len(loader),
                                 "accuracy": correct / total if total else 0.0}
        return results
