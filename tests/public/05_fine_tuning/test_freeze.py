"""Public tests for 05_fine_tuning/freeze: the basics. The hidden suite checks much more."""

from torch import nn

from grader.checks import expect, expect_type


def _model():
    return nn.Sequential(nn.Linear(4, 8), nn.Sequential(nn.ReLU(), nn.Linear(8, 2)))


def test_freeze_then_unfreeze(kata):
    """freeze switches requires_grad off on every parameter, unfreeze switches it back on"""
    model = _model()
    kata.freeze(model)
    frozen = [n for n, p in model.named_parameters() if p.requires_grad]
    expect(frozen == [], f"these parameters still require grad after freeze: {frozen}. "
                         "Set p.requires_grad = False on every parameter in module.parameters()")
    kata.unfreeze(model)
    stuck = [n for n, p in model.named_parameters() if not p.requires_grad]
    expect(stuck == [], f"these parameters are still frozen after unfreeze: {stuck}")


def test_count_parameters(kata):
    """counts parameter elements, all of them or only the trainable ones"""
    model = _model()  # 4*8 + 8 + 8*2 + 2 = 58 elements
    total = kata.count_parameters(model)
    expect_type(total, int, "count_parameters(model)", hint="return a Python int (sum of p.numel())")
    expect(total == 58, f"count_parameters(model) is {total}, expected 58: count elements with "
                        "p.numel(), not tensors")
    for p in model[0].parameters():
        p.requires_grad_(False)
    trainable = kata.count_parameters(model, trainable_only=True)
    expect(trainable == 18, f"count_parameters(model, trainable_only=True) is {trainable}, expected "
                            "18 after freezing the first layer: skip parameters with requires_grad False")
