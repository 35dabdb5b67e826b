"""`cpbench models` lists the zoo; `cpbench models check` validates a checkpoint or fails in one line, exit 2."""

import pytest
import torch
from typer.testing import CliRunner

from evaluators.cli import models as models_cli
from evaluators.models import create_model, list_models, save_safetensors, sha256_file

runner = CliRunner()


@pytest.fixture(scope="module")
def paper_file(tmp_path_factory):
    torch.manual_seed(0)
    model = create_model("mobilenet_v2_gcp_128", num_classes=10)
    path = tmp_path_factory.mktemp("ckpt") / "MobileNetV2_GCP_LRnorm_128.pth.tar"
    torch.save({"epoch": 3, "arch": "mobilenet_v2_mpncov_128",
                "state_dict": {f"module.{k}": v for k, v in model.state_dict().items()}}, path)
    return path


def test_models_lists_the_zoo():
    result = runner.invoke(models_cli.app, [], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for name in list_models():
        assert f" {name} " in result.stdout
    assert "resnet50_mpncov_128" in result.stdout and "56.930" in result.stdout and "squeezenet" not in result.stdout


def test_models_all_adds_torchvision(monkeypatch):
    seen = []

    def fake_list(torchvision: bool = False) -> list[str]:  # the real --all builds ~80 models on meta
        seen.append(torchvision)
        return ["resnet18_gcp", "squeezenet1_1"]

    monkeypatch.setattr("evaluators.models.list_models", fake_list)
    result = runner.invoke(models_cli.app, ["--all"], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and seen == [True]
    assert "squeezenet1_1" in result.stdout and "OTHER" in result.stdout


def test_check_reports_what_it_found(paper_file):
    result = runner.invoke(models_cli.app, ["check", str(paper_file), "--model", "mobilenet_v2_gcp"])
    assert result.exit_code == 0, result.output
    lines = dict(line.split(":", 1) for line in result.stdout.splitlines())
    found = {key: value.strip() for key, value in lines.items()}
    assert found["format"] == "pickle" and found["sha256"] == sha256_file(paper_file)
    assert found["arch field"] == "mobilenet_v2_mpncov_128" and found["model"] == "mobilenet_v2_gcp"
    assert (found["classes"], found["gcp d"], found["tensors"]) == ("10", "128", "320")
    assert found["parameters"] == f"{sum(p.numel() for p in create_model('mobilenet_v2_gcp_128', 10).parameters()):,}"
    by_arch = runner.invoke(models_cli.app, ["check", str(paper_file)])
    assert by_arch.exit_code == 0 and "mobilenet_v2_gcp_128" in by_arch.stdout


def test_check_failures_are_one_line_with_exit_code_2(paper_file, tmp_path):
    page = tmp_path / "model.pth"
    page.write_text("<html>not found</html>")
    no_arch = tmp_path / "plain.safetensors"
    save_safetensors({"fc.weight": torch.ones(2, 2)}, no_arch)
    for args, message in (
        (["check", str(paper_file), "--model", "resnet50_gcp"], "saved for arch 'mobilenet_v2_mpncov_128'"),
        (["check", str(paper_file), "--model", "mobilenet_v2_gcp", "--num-classes", "1000"], "has 10 classes"),
        (["check", str(page), "--model", "resnet18"], "model.pth: not a torch checkpoint"),
        (["check", str(tmp_path / "absent.pth"), "--model", "resnet18"], "absent.pth: cannot read it"),
        (["check", str(paper_file), "--model", "alexnet_gcp"], "unknown model 'alexnet_gcp'"),
        (["check", str(no_arch)], "records no arch; name the model with --model"),
    ):
        result = runner.invoke(models_cli.app, args)
        assert result.exit_code == 2, result.output
        assert result.stdout == "" and len(result.stderr.splitlines()) == 1 and message in result.stderr
