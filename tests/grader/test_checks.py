"""The checks teach: the hint first, then shape/dtype/device, then a summary of values; and
they accept only plain values, so a lying object cannot pass."""

import pytest
import torch

from grader.checks import (KataFailure, assert_close, assert_scalar_close, expect, expect_tensor,
                           explain, manual_seed)


def failure(fn, *args, **kwargs) -> str:
    with pytest.raises(KataFailure) as err:
        fn(*args, **kwargs)
    return str(err.value)


def test_hint_comes_first_then_the_shape():
    text = failure(assert_close, torch.zeros(3, 4), torch.zeros(4, 3), what="the output",
                   hint="did you transpose?")
    assert text.splitlines()[0] == "did you transpose?"
    assert "shape (3, 4) but expected (4, 3)" in text


@pytest.mark.parametrize("actual, words", [
    (torch.zeros(2, dtype=torch.float64), "dtype torch.float64 but expected torch.float32"),
    (torch.zeros(2, device="meta"), "on device 'meta' but expected 'cpu'"),
    (torch.zeros(2, requires_grad=True), "requires_grad=True but expected requires_grad=False"),
])
def test_properties_are_named_before_values(actual, words):
    assert words in failure(assert_close, actual, torch.ones(2), check_requires_grad=True)


def test_value_summary_small_and_large():
    small = failure(assert_close, torch.tensor([1.0, float("nan"), 3.0]), torch.tensor([1.0, 2.0, 4.0]))
    assert "2 of 3 elements differ" in small and "NaN" in small and "first at index (1,)" in small
    assert "got:      [1, nan, 3]" in small
    big = failure(assert_close, torch.zeros(50, 50), torch.ones(50, 50))
    assert "2500 of 2500 elements differ" in big and "max abs diff 1" in big and "got:" not in big


def test_infinities_are_called_out():
    text = failure(assert_close, torch.tensor([float("inf"), 1.0]), torch.tensor([0.0, 1.0]))
    assert "1 infinite value" in text


def test_lying_objects_do_not_pass():
    class Liar(torch.Tensor):
        def __eq__(self, other):
            return True

    fake = torch.zeros(2).as_subclass(Liar)
    assert "plain torch.Tensor" in failure(assert_close, fake, torch.ones(2))

    class Truthy:
        def __bool__(self):
            return True

    with pytest.raises(TypeError):
        expect(Truthy(), "never")
    assert "should be a torch.Tensor" in failure(expect_tensor, [1, 2], "the result")
    assert "call .item()" in failure(assert_scalar_close, torch.tensor(1.0), 1.0)


def test_checks_survive_monkeypatched_torch(monkeypatch):
    monkeypatch.setattr(torch, "isclose", lambda *a, **k: torch.ones(2, dtype=torch.bool))
    monkeypatch.setattr(torch, "allclose", lambda *a, **k: True)
    assert "wrong values" in failure(assert_close, torch.zeros(2), torch.ones(2))


def test_explain_translates_known_errors_only():
    with pytest.raises(KataFailure, match="use no_grad"):
        with explain({"leaf Variable": "use no_grad"}):
            p = torch.ones(1, requires_grad=True)
            p += 1
    with pytest.raises(ZeroDivisionError):
        with explain({"leaf Variable": "use no_grad"}):
            1 / 0


def test_manual_seed_gives_torch_manual_seeds_stream():
    torch.manual_seed(7)
    reference = (torch.randn(5), torch.nn.Linear(3, 2).weight.detach().clone())
    torch.randn(100)  # move the stream on
    manual_seed(7)
    again = (torch.randn(5), torch.nn.Linear(3, 2).weight.detach().clone())
    assert all(torch.equal(a, b) for a, b in zip(reference, again))
