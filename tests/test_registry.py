"""The one name-to-implementation rule every kind of extension uses."""

import pytest

from abmcts.errors import ConfigError
from abmcts.registry import Registry


@pytest.fixture
def plugin_package(throwaway_package):
    throwaway_package(
        "toyplugins",
        {
            "alpha": "THING = 'alpha'\n",
            "_private": "THING = 'hidden'\n",
            "noattr": "OTHER = 1\n",
            "broken": "import a_module_that_is_not_installed_anywhere\nTHING = 1\n",
        },
    )
    return Registry[str]("toy thing", "toyplugins", "THING")


def test_a_name_is_the_module_of_that_name(plugin_package):
    assert plugin_package.get("alpha", "toy.name") == "alpha"
    assert plugin_package.names() == ["alpha", "broken", "noattr"]


def test_a_dotted_name_is_imported_as_written(plugin_package):
    assert plugin_package.get("toyplugins.alpha", "toy.name") == "alpha"


def test_unknown_names_are_one_config_error_with_the_nearest(plugin_package):
    with pytest.raises(
        ConfigError, match=r"config toy.name=alpah: no such toy thing \(did you mean 'alpha'\?\)"
    ):
        plugin_package.get("alpah", "toy.name")
    for bad in ("_private", "", "a/b", "../x", "nope.module"):
        with pytest.raises(ConfigError, match="no such toy thing"):
            plugin_package.get(bad, "toy.name")


def test_a_module_without_the_attribute_is_named(plugin_package):
    with pytest.raises(ConfigError, match="toyplugins.noattr defines no THING"):
        plugin_package.get("noattr", "toy.name")


def test_a_broken_module_is_a_bug_not_an_unknown_name(plugin_package):
    with pytest.raises(ModuleNotFoundError, match="a_module_that_is_not_installed_anywhere"):
        plugin_package.get("broken", "toy.name")
