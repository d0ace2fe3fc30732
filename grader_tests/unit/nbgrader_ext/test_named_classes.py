"""grader.nbgrader_ext holds exactly the classes nbgrader_config.py names: nbgrader's extension points."""

import importlib
import inspect
import os
import pkgutil
import re

from traitlets.config import Configurable

import grader.nbgrader_ext as package
from grader import ROOT


def named_in_config():
    """The ``grader.…`` classes nbgrader_config.py names (as strings or imports)."""
    with open(os.path.join(ROOT, "nbgrader_config.py"), encoding="utf-8") as f:
        text = f.read()
    names = set(re.findall(r"[\"'](grader\.[\w.]+)[\"']", text))
    for module, imported in re.findall(r"^\s*from (grader\.[\w.]+) import ([\w, ]+)", text, flags=re.M):
        names |= {f"{module}.{name.strip()}" for name in imported.split(",")}
    return names


def extension_classes():
    """The configurable classes (nbgrader's kind of extension) each module of the package defines."""
    found = set()
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and value.__module__ == module.__name__
                and issubclass(value, Configurable)
            ):
                found.add(f"{module.__name__}.{name}")
    return found


# Functions the configuration names as nbconvert filters (not classes, so not extension points).
FILTERS = {"grader.nbgrader_ext.formgrade.markdown2html"}


def test_the_package_defines_exactly_the_classes_the_configuration_names():
    # The process set-up it calls (grader.environment.prepare) is a function, not an extension.
    named = {n for n in named_in_config() if n.startswith(package.__name__ + ".")}
    assert extension_classes() == named - FILTERS
    assert named_in_config() - named == {"grader.environment.prepare"}


def test_the_named_filters_are_functions_of_the_package():
    for name in FILTERS:
        module, _, attr = name.rpartition(".")
        assert callable(getattr(importlib.import_module(module), attr))
        assert not inspect.isclass(getattr(importlib.import_module(module), attr))
    assert FILTERS <= named_in_config()


def test_the_check_reads_both_forms_of_naming():
    names = named_in_config()
    assert "grader.nbgrader_ext.autograde.CourseAutograde" in names  # a string
    assert "grader.nbgrader_ext.expected_outputs.AddExpectedOutputs" in names  # an import
