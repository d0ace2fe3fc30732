"""Every Python the course supports can build its environment: the range and the pins agree.

The range is ``requires-python`` in pyproject.toml (its one place).  A pin whose
``Requires-Python`` starts inside the range breaks ``make venv`` on the releases below its
start: soupsieve 3.0.2 and later need 3.11.5, and Debian 12's stock Python is 3.11.2.  So
every release of every supported series (3.11.0 to 3.11.99 for ``>=3.11,<3.12``) is probed
against every pin's metadata, as installed; the README and environment.yml are held to the
same range.
"""

import os
import re
from importlib.metadata import PackageNotFoundError, distribution

import yaml
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from grader_tests.helpers.pins import read, requires_python, supported

# Far beyond any release a series has had (3.x's patch numbers stay below 20): a range or a
# Requires-Python that ends inside a series is caught wherever it ends.
PATCHES = range(100)
MINORS = range(40)


def _probes(spec):
    """Return every Python release ``3.<minor>.<patch>`` the specifier set admits, in order."""
    every = (Version(f"3.{minor}.{patch}") for minor in MINORS for patch in PATCHES)
    return [v for v in every if spec.contains(v)]


def _excluded(requires, probes):
    """Return the probes a ``Requires-Python`` value refuses (``None``: the field is absent).

    Parameters
    ----------
    requires : str or None
        A distribution's ``Requires-Python``; absent means every Python (core metadata).
    probes : list of packaging.version.Version
        The supported releases.

    Returns
    -------
    list of packaging.version.Version
    """
    if requires is None:
        return []
    spec = SpecifierSet(requires)
    return [v for v in probes if not spec.contains(v)]


def _conda_spec(dependency):
    """Return a conda ``python`` dependency of environment.yml as a specifier set.

    conda's single ``=`` is a prefix match (``python=3.11`` is every 3.11 release), its other
    operators are pip's.
    """
    rest = re.fullmatch(r"python\s*(.*)", dependency).group(1)
    if rest.startswith("=") and not rest.startswith("=="):
        return SpecifierSet(f"=={rest[1:]}.*")
    return SpecifierSet(rest)


def test_the_range_admits_every_release_of_each_series_it_names(root):
    probes = _probes(supported(root))
    assert probes, requires_python(root)
    # "You need Python 3.11" means any 3.11: a range that starts or ends inside a series
    # would fail someone whose distribution ships an older or newer patch release.
    series = sorted({(v.major, v.minor) for v in probes})
    assert probes == [Version(f"{a}.{b}.{patch}") for a, b in series for patch in PATCHES]


def test_every_pin_admits_every_supported_python(root):
    probes = _probes(supported(root))
    pins, _ = read(root, "constraints.txt")
    refused, unknown = {}, {}
    for name, pinned in sorted(pins.items()):
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            # A pin nobody installs is itself a finding: drop it, or, if it belongs to
            # another platform, give it a marker and check its wheel's metadata by hand.
            unknown[name] = f"pinned {pinned}, not installed"
            continue
        if dist.version != pinned:
            unknown[name] = f"pinned {pinned}, installed {dist.version}: the pin's metadata is not here"
            continue
        requires = dist.metadata.get("Requires-Python")
        excluded = _excluded(requires, probes)
        if excluded:
            refused[name] = f"{pinned}: Requires-Python {requires}, refuses {excluded[0]}"
    assert unknown == {}
    assert refused == {}


def test_a_requires_python_starting_inside_the_series_is_refused():
    probes = _probes(SpecifierSet(">=3.11,<3.12"))
    assert _excluded(">=3.11.5", probes) == [Version(f"3.11.{p}") for p in range(5)]
    assert _excluded("<3.11.10", probes) == [Version(f"3.11.{p}") for p in range(10, 100)]
    assert _excluded(">=3.10", probes) == []
    assert _excluded(None, probes) == []


def test_environment_yml_asks_conda_for_the_range(root):
    with open(os.path.join(root, "environment.yml")) as f:
        deps = yaml.safe_load(f)["dependencies"]
    (python,) = [d for d in deps if isinstance(d, str) and re.match(r"python\b", d)]
    assert _probes(_conda_spec(python)) == _probes(supported(root)), python


def test_conda_specs_are_read_as_conda_reads_them():
    assert _probes(_conda_spec("python=3.11")) == _probes(SpecifierSet(">=3.11,<3.12"))
    assert _probes(_conda_spec("python>=3.11,<3.13")) == _probes(SpecifierSet(">=3.11,<3.13"))


def test_the_readme_states_the_range(root):
    with open(os.path.join(root, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    stated = re.findall(r"You need Python `([^`]+)`", readme)
    assert stated == [requires_python(root)]
    # The README names a distribution's stock Python that works: it must lie in the range.
    named = re.findall(r"stock (?:Python )?(\d+\.\d+\.\d+)", readme)
    assert named and all(supported(root).contains(v) for v in named), named


def test_the_makefile_prefers_a_supported_interpreter(root):
    with open(os.path.join(root, "Makefile")) as f:
        preferred = re.search(r"^PYTHON \?= .*?command -v python(\d+\.\d+)", f.read(), re.M).group(1)
    assert supported(root).contains(f"{preferred}.0")
