"""environment.yml (conda) and requirements.txt (pip, used by make) pin the same versions."""
import os
import re

import yaml


def _norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirements(path):
    pins = {}
    with open(path) as f:
        for line in f:
            line = line.split("#")[0].strip()
            if line:
                name, version = line.split("==")
                pins[_norm(name)] = version
    return pins


def test_environment_yml_and_requirements_pin_the_same(root):
    with open(os.path.join(root, "environment.yml")) as f:
        env = yaml.safe_load(f)
    conda = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str) and "=" in dep:
            name, version = dep.split("=", 1)
            conda[_norm(name)] = version
    assert conda.pop("python") == "3.11"
    pip = _requirements(os.path.join(root, "requirements.txt"))
    assert conda == pip


def test_constraints_pin_the_requirements_at_the_same_versions(root):
    pip = _requirements(os.path.join(root, "requirements.txt"))
    constraints = _requirements(os.path.join(root, "constraints.txt"))
    assert {name: constraints.get(name) for name in pip} == pip


def test_installed_versions_are_the_pinned_ones(root):
    from importlib.metadata import version
    for name, pinned in _requirements(os.path.join(root, "requirements.txt")).items():
        assert version(name) == pinned, name
