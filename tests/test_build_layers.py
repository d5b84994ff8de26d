"""Lambda layers never carry any part of the AWS SDK the python3.12 runtime already ships.

A layer's /opt/python comes before the runtime's own packages on sys.path, so a botocore
(or urllib3, s3transfer, ...) in a layer replaces the runtime's copy for the function's
boto3 too — a botocore its boto3 was never released with. The build must keep the whole
SDK family out, whatever the requirements file or its dependency closure says.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from components.python_function import LAYERS_ROOT
from scripts.build_layers import RUNTIME_PROVIDED, canonical, layer_packages, runtime_sdk_in

#: The SDK family of the Lambda Python runtimes: boto3 and its dependency closure
#: (botocore -> jmespath, python-dateutil -> six, urllib3; boto3 -> s3transfer).
SDK_FAMILY = {"boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3"}
REPO = Path(__file__).resolve().parent.parent


def _requirements(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "requirements.txt"
    path.write_text(text)
    return path


def test_the_runtime_family_is_the_whole_sdk_closure() -> None:
    assert SDK_FAMILY <= RUNTIME_PROVIDED


def test_a_transitive_sdk_dependency_stays_out_without_a_pin(tmp_path: Path) -> None:
    # aws-xray-sdk depends on botocore: the runtime's botocore satisfies it.
    requirements = _requirements(tmp_path, "aws-xray-sdk==2.15.0\nwrapt==2.5.2\n")
    installed = {"aws-xray-sdk": "2.15.0", "wrapt": "2.5.2", "botocore": "1.44.5", "urllib3": "2.8.0"}
    assert layer_packages(requirements, installed) == {"aws-xray-sdk": "2.15.0", "wrapt": "2.5.2"}


def test_pinned_sdk_packages_are_kept_out_of_the_layer_too(tmp_path: Path) -> None:
    # The defect: botocore and urllib3 pinned (without boto3) went into the layer.
    requirements = _requirements(tmp_path, "aws-xray-sdk==2.15.0\nbotocore==1.44.5\nurllib3==2.8.0\nsix==1.17.0\n")
    installed = {"aws-xray-sdk": "2.15.0", "botocore": "1.44.5", "urllib3": "2.8.0", "six": "1.17.0"}
    assert layer_packages(requirements, installed) == {"aws-xray-sdk": "2.15.0"}


def test_any_other_unpinned_package_is_still_refused(tmp_path: Path) -> None:
    requirements = _requirements(tmp_path, "aws-lambda-powertools==3.37.0\n")
    installed = {"aws-lambda-powertools": "3.37.0", "typing-extensions": "4.16.0", "jmespath": "1.1.0"}
    with pytest.raises(SystemExit, match=r"pin every installed package .* add: typing-extensions==4\.16\.0$"):
        layer_packages(requirements, installed)


@pytest.mark.parametrize("function", ["upload_url", "thumbnailer"])
def test_media_function_requirements_pin_no_sdk_package(function: str) -> None:
    from scripts.build_layers import pins

    assert not set(pins(REPO / "functions" / function / "requirements.txt")) & SDK_FAMILY


def test_runtime_sdk_in_finds_dist_info_by_canonical_name(tmp_path: Path) -> None:
    (tmp_path / "python_dateutil-2.9.0.post0.dist-info").mkdir()
    (tmp_path / "aws_xray_sdk-2.15.0.dist-info").mkdir()
    (tmp_path / "botocore").mkdir()  # a bare package directory without metadata counts too
    assert runtime_sdk_in(tmp_path) == ["botocore", "python-dateutil"]


def test_no_built_layer_contains_the_runtime_sdk() -> None:
    """Every layer the program packages (build/layers, from ``make layers``)."""
    layers = sorted(p for p in LAYERS_ROOT.glob("*/python") if p.is_dir())
    assert layers, f"no layers built under {LAYERS_ROOT}: run `make layers` (the program needs them too)"
    found = {layer.parent.name: runtime_sdk_in(layer) for layer in layers}
    assert {name: sdk for name, sdk in found.items() if sdk} == {}
    assert all(canonical(name) == name for name in RUNTIME_PROVIDED)
