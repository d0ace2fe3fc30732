"""What the environment tests share: the pinned requirements files and the supported Python range."""

import os
import re
import tomllib

from packaging.specifiers import SpecifierSet


def norm(name):
    """Return a distribution name normalized as PEP 503 compares names."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read(root, name):
    """Return ``(pins, includes)`` of a requirements file: {name: version} and its ``-r`` files."""
    pins, includes = {}, []
    with open(os.path.join(root, name)) as f:
        for line in f:
            line = line.split("#")[0].strip()
            if not line:
                continue
            if line.startswith("-r "):
                includes.append(line[3:].strip())
                continue
            name_, version_ = line.split("==")
            pins[norm(name_)] = version_
    return pins, includes


def requires_python(root):
    """Return the supported Python range as written in pyproject.toml (its one place).

    Parameters
    ----------
    root : str
        The course's folder.

    Returns
    -------
    str
        ``[project] requires-python``, e.g. ``">=3.11,<3.12"``.
    """
    with open(os.path.join(root, "pyproject.toml"), "rb") as f:
        return tomllib.load(f)["project"]["requires-python"]


def supported(root):
    """Return the supported Python range as a ``packaging`` specifier set."""
    return SpecifierSet(requires_python(root))
