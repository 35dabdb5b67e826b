"""The iSQRT-COV head against an independent float64 computation, its gradients, precision and input limits."""

import pytest
import torch

from evaluators.errors import InvalidInputError
from evaluators.models import CovariancePooling, covariance_pooling, create_model
from evaluators.models.gcp_head import classify, dim_for_vector_length, upper_triangle, vector_length


def reference_head(features: torch.Tensor) -> torch.Tensor:
    """gcp.md §1.2 written out in float64: Σ = X Ī Xᵀ, A = Σ/tr, Y₀ = A, Z₀ = I, 5 coupled Newton–Schulz steps,
    C = √tr · Y₅, then the upper triangle row by row."""
    vectors = []
    for sample in features.double():
        x = sample.reshape(sample.shape[0], -1)
        d, m = x.shape
        i_bar = torch.eye(m, dtype=torch.float64) / m - torch.ones(m, m, dtype=torch.float64) / m**2
        sigma = torch.einsum("im,mn,jn->ij", x, i_bar, x)
        trace = sum(sigma[i, i] for i in range(d))
        eye = torch.eye(d, dtype=torch.float64)
        y, z = sigma / trace, eye
        for _ in range(4):
            t = 0.5 * (3 * eye - z @ y)
            y, z = y @ t, t @ z
        c = torch.sqrt(trace) * (0.5 * y @ (3 * eye - z @ y))
        vectors.append(torch.stack([c[i, j] for i in range(d) for j in range(i, d)]))
    return torch.stack(vectors)


def relu_features(*shape: int, scale: float = 1.0, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.relu(torch.randn(*shape, generator=generator) * scale + 0.2 * scale)


@pytest.mark.parametrize("shape", [(2, 16, 7, 7), (3, 32, 14, 14), (2, 24, 3, 5), (1, 8, 1, 2)])
def test_head_matches_float64_reference(shape):
    features = relu_features(*shape)
    expected = reference_head(features)
    for dtype in (torch.float32, torch.float64):
        got = covariance_pooling(features.to(dtype))
        assert got.dtype == dtype and got.shape == (shape[0], vector_length(shape[1]))
        error = (got.double() - expected).norm() / expected.norm()
        assert error < (1e-5 if dtype == torch.float32 else 1e-12)


def test_vectorisation_is_row_major_upper_triangle_without_sqrt2():
    matrix = torch.arange(16.0).reshape(1, 4, 4)
    assert upper_triangle(matrix).tolist() == [[0, 1, 2, 3, 5, 6, 7, 10, 11, 15]]


def test_vector_lengths():
    assert vector_length(256) == 32896 and vector_length(128) == 8256
    assert dim_for_vector_length(32896) == 256 and dim_for_vector_length(12880) == 160
    assert dim_for_vector_length(1000) is None and dim_for_vector_length(0) is None


@pytest.mark.parametrize("dim,height,width", [(4, 2, 2), (6, 3, 3), (8, 2, 3)])
def test_gradients_equal_finite_differences(dim, height, width):
    features = (relu_features(2, dim, height, width, seed=dim) + 0.1).double().requires_grad_()
    assert torch.autograd.gradcheck(covariance_pooling, (features,))


def test_gradients_through_a_model_are_finite():
    model = create_model("resnet18_gcp", num_classes=5)
    logits = model(torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(0)))
    torch.nn.functional.cross_entropy(logits, torch.tensor([0, 3])).backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)
    assert model.layer_reduce.weight.grad.abs().sum() > 0


def test_bf16_autocast_keeps_the_head_in_float32():
    features = relu_features(2, 64, 7, 7, scale=3.0)
    classifier = torch.nn.Linear(vector_length(64), 10)
    pooling = CovariancePooling(min_input_size=33)
    plain = classify(classifier, pooling(features))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        pooled = pooling(features)
        logits = classify(classifier, pooled)
        bf16_input = pooling(features.bfloat16())  # a bf16 backbone's output is promoted, not kept
    assert pooled.dtype == logits.dtype == bf16_input.dtype == torch.float32
    assert (logits - plain).abs().max() <= 1e-3 * plain.abs().max()
    assert (pooled - pooling(features)).abs().max() <= 1e-3 * pooled.abs().max()


def test_fp16_features_whose_trace_overflows_fp16_stay_finite():
    features = relu_features(2, 16, 7, 7, scale=100.0)  # trace ~1e5 > 65504
    assert torch.isfinite(covariance_pooling(features.half())).all()


@pytest.mark.parametrize("name,size", [("resnet18_gcp", 17), ("mobilenet_v2_gcp_128", 33),
                                       ("shufflenet_v2_x1_0_gcp", 33)])
def test_too_small_input_is_an_error_not_nan(name, size):
    model = create_model(name, num_classes=3).eval()
    with torch.no_grad():
        assert torch.isfinite(model(torch.rand(1, 3, size, size))).all()
        with pytest.raises(InvalidInputError, match=f"at least {size}×{size}"):
            model(torch.rand(1, 3, size - 1, size - 1))
