# MISTAKE: edits out_features on the old head, which leaves its weight at the old shape
# FEEDBACK: changing out_features
from torch import nn


def replace_head(model, attr_name, num_classes):
    head = getattr(model, attr_name)
    head.out_features = num_classes
    return head
