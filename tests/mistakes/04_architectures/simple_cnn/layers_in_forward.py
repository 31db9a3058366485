# MISTAKE: creates the layers inside forward(), so they are new every call and never registered
# FEEDBACK: create the layers in __init__
import torch
import torch.nn.functional as F
from torch import nn


class SimpleCNN(nn.Module):
    def __init__(self, in_channels, num_classes, image_size):
        super().__init__()
        self.in_channels, self.num_classes, self.image_size = in_channels, num_classes, image_size

    def forward(self, x):
        features = nn.Sequential(
            nn.Conv2d(self.in_channels, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        ).to(x.device)
        side = self.image_size // 4
        head = nn.Linear(16 * side * side, self.num_classes).to(x.device)
        return head(features(x).flatten(1))
