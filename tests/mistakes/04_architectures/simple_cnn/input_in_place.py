# MISTAKE: normalises the input in place inside forward
# FEEDBACK: changed its input in place
import torch
import torch.nn.functional as F
from torch import nn


class SimpleCNN(nn.Module):
    def __init__(self, in_channels, num_classes, image_size):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        side = image_size // 4
        self.head = nn.Linear(16 * side * side, num_classes)

    def forward(self, x):
        x -= x.mean()
        x = self.features(x)
        x = x.flatten(1)
        return self.head(x)
