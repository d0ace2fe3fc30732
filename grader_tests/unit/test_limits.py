"""Parsing resource limits (grader.limits.Limits.parse, and Limits.load for GRADER_LIMITS)."""

from dataclasses import fields

import pytest
from traitlets.config import Config

from grader.limits import Limits


@pytest.fixture(autouse=True)
def no_env(monkeypatch):
    monkeypatch.delenv("GRADER_LIMITS", raising=False)


def test_parse_without_anything_gives_the_defaults():
    assert Limits.parse() == Limits()


def test_parse_reads_name_value_pairs_with_their_types():
    limits = Limits.parse(["memory_mb=4096", "cell_timeout=1.5", " grace = 0.25 "])
    assert limits.memory_mb == 4096 and type(limits.memory_mb) is int
    assert limits.cell_timeout == 1.5 and type(limits.cell_timeout) is float
    assert limits.grace == 0.25
    assert limits.cpu_seconds == Limits().cpu_seconds


def test_parse_reads_whole_numbers_of_float_limits_as_floats():
    assert type(Limits.parse(["notebook_timeout=10"]).notebook_timeout) is float


def test_load_reads_the_environment():
    limits = Limits.load(config=Config(), environ={"GRADER_LIMITS": "memory_mb=512,, processes=8 ,"})
    assert (limits.memory_mb, limits.processes) == (512, 8)


def test_the_command_line_wins_over_the_environment():
    limits = Limits.load(
        ["memory_mb=1024"], config=Config(), environ={"GRADER_LIMITS": "memory_mb=512,output_kb=1"}
    )
    assert (limits.memory_mb, limits.output_kb) == (1024, 1)


def test_parse_starts_from_a_base():
    base = Limits(cell_timeout=1, grace=0.2, notebook_timeout=10)
    limits = Limits.parse(["memory_mb=100"], base=base)
    assert (limits.cell_timeout, limits.grace, limits.notebook_timeout, limits.memory_mb) == (1, 0.2, 10, 100)


@pytest.mark.parametrize("item", ["memory=4096", "MEMORY_MB=1", "=3", "as_dict=1", "parse=1"])
def test_parse_rejects_unknown_names_and_lists_the_known_ones(item):
    with pytest.raises(ValueError) as caught:
        Limits.parse([item])
    message = str(caught.value)
    assert "unknown limit" in message
    assert all(f.name in message for f in fields(Limits))


def test_load_rejects_unknown_names_from_the_environment():
    with pytest.raises(ValueError, match="memroy_mb"):
        Limits.load(config=Config(), environ={"GRADER_LIMITS": "memroy_mb=1"})


@pytest.mark.parametrize(
    "item", ["memory_mb=lots", "memory_mb=1.5", "memory_mb=", "memory_mb", "cell_timeout=soon", "grace="]
)
def test_parse_rejects_values_of_the_wrong_type(item):
    with pytest.raises(ValueError):
        Limits.parse([item])


def test_limits_are_frozen_and_serializable():
    limits = Limits.parse(["memory_mb=100"])
    with pytest.raises(AttributeError):
        limits.memory_mb = 1
    assert Limits(**limits.as_dict()) == limits
