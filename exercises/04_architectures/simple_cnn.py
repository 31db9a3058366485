# Generated from solutions/04_architectures/simple_cnn.py by `python -m grader build` (2 to do): replace each NotImplementedError.
"""Kata 04_architectures/simple_cnn: a small convolutional network that learns to classify images.

Build `SimpleCNN(in_channels, num_classes, image_size)`, a classic small CNN:

    (B, in_channels, S, S)
    -> Conv2d(in_channels, 8, 3, padding=1) -> ReLU -> MaxPool2d(2)     # (B, 8, S//2, S//2)
    -> Conv2d(8, 16, 3, padding=1)          -> ReLU -> MaxPool2d(2)     # (B, 16, S//4, S//4)
    -> flatten, keeping the batch dimension                             # (B, 16 * (S//4)**2)
    -> Linear(16 * (S//4)**2, num_classes)                              # (B, num_classes)

The channel counts (8, 16) are a suggestion; the requirements are:
- at least two Conv2d layers, each followed by a ReLU, and pooling that shrinks the feature map
  (this keeps the Linear head small: no more than 150,000 parameters for a 64x64 image and 10
  classes);
- every layer is created in `__init__` (as an attribute or inside an nn.Sequential), so that
  `model.parameters()` finds it; a layer created inside forward() is new on every call and never
  learns;
- forward returns raw scores ("logits") of shape (B, num_classes): no softmax, because
  nn.CrossEntropyLoss / F.cross_entropy applies log-softmax itself;
- every sample is handled on its own: flatten with `start_dim=1` (or `x.flatten(1)`,
  `x.reshape(x.shape[0], -1)`), never over the batch dimension;
- forward does not modify its input, and works on any device the model is moved to.

The size of the flattened feature map depends on image_size: with two 2x2 poolings it is
`16 * (image_size // 4) ** 2`. (nn.LazyLinear or nn.AdaptiveAvgPool2d are other ways.)

`make_quadrant_images` and `train_classifier` below are given, so you can try your model:

    images, labels = make_quadrant_images(512, size=12, generator=torch.Generator().manual_seed(0))
    model = SimpleCNN(1, 4, 12)
    train_classifier(model, images, labels, steps=100)
    accuracy = (model(images).argmax(1) == labels).float().mean()
"""

import torch
import torch.nn.functional as F
from torch import nn


class SimpleCNN(nn.Module):
    """conv -> ReLU -> pool, twice, then a linear head.

    Args:
        in_channels: channels of the input images (1 for grey, 3 for RGB).
        num_classes: how many classes to score.
        image_size: the height (= width) of the input images, at least 4.
    """

    def __init__(self, in_channels: int, num_classes: int, image_size: int):
        super().__init__()
        # TODO: create the layers: two conv blocks (Conv2d -> ReLU -> MaxPool2d(2)) and a Linear
        # TODO: head whose in_features is the size of the flattened feature map.
        raise NotImplementedError("04_architectures/simple_cnn: SimpleCNN.__init__() is not implemented yet: replace this line with your code")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, in_channels, S, S) images -> (B, num_classes) logits."""
        # TODO: run the conv blocks, flatten each sample (keep the batch dimension), apply the head.
        raise NotImplementedError("04_architectures/simple_cnn: SimpleCNN.forward() is not implemented yet: replace this line with your code")


def make_quadrant_images(n: int, size: int = 12, generator: torch.Generator | None = None):
    """n noisy grey images (n, 1, size, size) with a bright square in one quadrant; the label
    (0-3) is the quadrant: 0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right."""
    half = size // 2
    images = 0.3 * torch.randn(n, 1, size, size, generator=generator)
    labels = torch.randint(0, 4, (n,), generator=generator)
    offsets = torch.randint(0, half - 2, (n, 2), generator=generator)
    for i in range(n):
        top = (labels[i] // 2) * half + offsets[i, 0]
        left = (labels[i] % 2) * half + offsets[i, 1]
        images[i, 0, top:top + 3, left:left + 3] += 1.5
    return images, labels


def train_classifier(model: nn.Module, images: torch.Tensor, labels: torch.Tensor,
                     steps: int = 100, lr: float = 1e-2, batch_size: int = 32, seed: int = 0) -> list[float]:
    """Train with Adam on random mini-batches; returns the loss of each step."""
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    losses = []
    for _ in range(steps):
        index = torch.randint(0, len(images), (batch_size,), generator=generator)
        loss = F.cross_entropy(model(images[index]), labels[index])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
