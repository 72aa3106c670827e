"""Reference solution of 4.3.2b (ImageClassifierWithCAM; the seed's design with two fixes).

Fixes (see the prompt's errata): no ``self.register_forward_hook = True`` (it hides
nn.Module's method), and ``generate_cam`` computes the feature maps of *its own*
input in any mode (the seed's version only stores them in training mode, so in
eval mode it raised or silently used the maps of an earlier batch).
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class ImageClassifierWithCAM(nn.Module):
    def __init__(self, num_classes, input_channels=3):
        super().__init__()
        self.num_classes = num_classes
        self.features = nn.Sequential(
            nn.Conv2d(input_channels, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(inplace=True),
            nn.Conv2d(64, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(inplace=True),
            nn.MaxPool2d(2, 2),
            nn.Conv2d(64, 128, 3, padding=1), nn.BatchNorm2d(128), nn.ReLU(inplace=True),
            nn.Conv2d(128, 128, 3, padding=1), nn.BatchNorm2d(128), nn.ReLU(inplace=True),
            nn.MaxPool2d(2, 2),
            nn.Conv2d(128, 256, 3, padding=1), nn.BatchNorm2d(256), nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, 3, padding=1), nn.BatchNorm2d(256), nn.ReLU(inplace=True),
        )
        self.global_avg_pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(256, num_classes)
        self.feature_maps = None

    def forward(self, x, return_cam=False):
        feature_maps = self.features(x)                      # (batch, 256, H/4, W/4)
        self.feature_maps = feature_maps.detach()
        pooled = self.global_avg_pool(feature_maps).view(feature_maps.size(0), -1)
        logits = self.classifier(pooled)                     # (batch, num_classes)
        if return_cam:
            return logits, self.generate_cam_batch(logits.argmax(dim=1))
        return logits

    def _cam(self, feature_maps, class_indices):
        weights = self.classifier.weight[class_indices].detach()          # (batch, 256)
        cam = F.relu(torch.einsum("bk,bkhw->bhw", weights, feature_maps))
        flat = cam.flatten(1)
        lo = flat.min(dim=1).values.view(-1, 1, 1)
        hi = flat.max(dim=1).values.view(-1, 1, 1)
        span = hi - lo
        return torch.where(span > 0, (cam - lo) / span.clamp_min(1e-12), cam)

    def generate_cam(self, x, class_idx):
        """CAM of class ``class_idx`` for every image of ``x``: (batch, H/4, W/4) in [0, 1]."""
        with torch.no_grad():
            feature_maps = self.features(x)
        idx = torch.full((x.size(0),), int(class_idx), dtype=torch.long)
        return self._cam(feature_maps, idx)

    def generate_cam_batch(self, class_indices):
        """CAMs of the last forward's feature maps, one class index per sample."""
        if self.feature_maps is None:
            raise ValueError("No feature maps available. Run forward pass first.")
        return self._cam(self.feature_maps, torch.as_tensor(class_indices, dtype=torch.long))
