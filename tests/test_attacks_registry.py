"""Attacks are `attacks.Attack` records: citation, options checked before the function runs, one
registration line, the same convention as the aggregation rules (`aggregators.Rule`)."""

import numpy as np
import pytest
import tensorflow as tf

import attacks
from attacks import registry

# A value of the wrong type for an option, from its default's type (None: a number).
BAD = {bool: "maybe", int: 1.5, float: "x", type(None): "x", str: 3}


def context(n=7, f=2, gar="median"):
    return attacks.AttackContext(n=n, f=f, gar=gar, gar_options={}, step=tf.constant(0, tf.int64),
                                 params=tf.zeros([4]), seed=tf.constant([3, 0], tf.int32))


def honest_gradients(h=5, d=4):
    return np.random.default_rng(0).normal(size=(h, d)).astype(np.float32)


@pytest.fixture
def scratch_registry(monkeypatch):
    """Registrations made by a test disappear after it."""
    monkeypatch.setattr(registry, "_ATTACKS", dict(registry._ATTACKS))


def _record(name="throwaway", **changes):
    def attack_fn(honest, context, value):
        return tf.fill([context.f, honest.shape[1]], tf.constant(value, honest.dtype))

    fields = dict(source="tests only", attack_fn=attack_fn, options={"value": 1.0},
                  description="every Byzantine coordinate is `value`")
    fields.update(changes)
    return attacks.Attack(name, **fields)


@pytest.mark.parametrize("name", attacks.names())
def test_every_attack_is_a_cited_record(name):
    attack = attacks.get(name)
    assert isinstance(attack, attacks.Attack)
    assert attack.name == name
    assert isinstance(attack.source, str) and attack.source.strip()
    assert isinstance(attack.description, str) and attack.description.strip()
    assert "\n" not in attack.description
    assert attack.defaults == dict(attack.options) and attack.resolve({}) == attack.defaults


def test_options_are_read_only():
    with pytest.raises(TypeError):
        attacks.get("ipm").options["epsilon"] = 5.0
    defaults = attacks.get("ipm").defaults
    defaults["epsilon"] = 5.0  # a copy
    assert attacks.get("ipm").options["epsilon"] == 0.1


def test_the_paper_attacks_cite_their_section():
    assert "section 3.2" in attacks.get("lp").source and "ICML 2018" in attacks.get("lp").source
    assert "section 3.3" in attacks.get("linf").source and "ICML 2018" in attacks.get("linf").source
    assert "NeurIPS 2019" in attacks.get("alie").source


@pytest.mark.parametrize("name", attacks.names())
def test_unknown_option_is_refused_before_the_attack_runs(name):
    # `none` raises RuntimeError when it runs: a ValueError here comes from the options check
    with pytest.raises(ValueError, match=f"attack '{name}' has no option 'bogus'"):
        attacks.get(name)(honest_gradients(), context(), bogus=1)
    with pytest.raises(ValueError, match=f"attack '{name}' has no option 'bogus'"):
        attacks.get(name).resolve({"bogus": 1})


@pytest.mark.parametrize("name, option", [(name, option) for name in attacks.names()
                                          for option in attacks.get(name).options])
def test_option_of_the_wrong_type_names_the_attack_and_the_option(name, option):
    default = attacks.get(name).options[option]
    bad = BAD[type(default)]
    pattern = f"attack '{name}': option '{option}' must be an? [a-z]+, got {bad!r}"
    with pytest.raises(ValueError, match=pattern):
        attacks.get(name).resolve({option: bad})
    with pytest.raises(ValueError, match=pattern):
        attacks.get(name)(honest_gradients(), context(), **{option: bad})


def test_options_are_converted_to_their_default_type():
    settings = attacks.get("lp").resolve({"coordinate": "3", "budget": 8.0, "gamma_scale": "2"})
    assert settings == {"coordinate": 3, "budget": 8, "objective": "displacement", "gamma_scale": 2.0,
                        "gamma_max": None, "log_spread": 0}
    assert type(settings["coordinate"]) is int and type(settings["gamma_scale"]) is float
    assert attacks.get("linf").resolve({"gamma_max": "50"})["gamma_max"] == 50.0
    assert attacks.get("gaussian").resolve({"mean": "yes"})["mean"] is True
    assert attacks.get("alie").resolve({"z": "1.5"}) == {"z": 1.5}


def test_value_checks_stay_as_strict():
    with pytest.raises(ValueError, match="attack 'gaussian': sigma must be >= 0, got sigma=-1.0"):
        attacks.get("gaussian")(honest_gradients(), context(), sigma=-1)
    with pytest.raises(ValueError, match="attack 'lp': budget must be >= 3"):
        attacks.get("lp")(honest_gradients(), context(), budget=2)
    with pytest.raises(ValueError, match="attack 'linf': objective must be one of displacement, selected"):
        attacks.get("linf")(honest_gradients(), context(), objective="far")


def test_none_is_the_only_honest_attack():
    assert [name for name in attacks.names() if attacks.get(name).honest] == ["none"]
    with pytest.raises(RuntimeError, match="attack 'none' has no Byzantine gradients"):
        attacks.get("none")(honest_gradients(), context())


def test_what_attacks_need():
    more = {"mimic": ("honest", "state"), "labelflip": ("honest", "flipped_gradients")}
    assert all(attacks.get(name).needs == more.get(name, ("honest",)) for name in attacks.names() if name != "none")
    assert attacks.get("none").needs == ()
    assert attacks.get("mimic").state_spec is not None and attacks.get("lp").state_spec is None
    with pytest.raises(ValueError, match="attack 'throwaway' needs 'batches'"):
        _record(needs=("honest", "batches"))


def test_a_throwaway_attack_takes_one_line(scratch_registry):
    attacks.register(_record())
    attack = attacks.get("throwaway")
    assert "throwaway" in attacks.names() and not attack.honest and attack.needs == ("honest",)
    np.testing.assert_array_equal(attack(honest_gradients(), context()).numpy(), np.ones((2, 4)))
    np.testing.assert_array_equal(attack(honest_gradients(), context(), value="2.5").numpy(), np.full((2, 4), 2.5))
    with pytest.raises(ValueError, match="attack 'throwaway': option 'value' must be a number, got 'x'"):
        attack(honest_gradients(), context(), value="x")


def test_registering_a_name_twice_raises(scratch_registry):
    attacks.register(_record())
    with pytest.raises(ValueError, match="attack 'throwaway' is registered twice"):
        attacks.register(_record())
    with pytest.raises(ValueError, match="attack 'lp' is registered twice"):
        attacks.register(_record("lp"))
    assert attacks.get("lp").source.startswith("El Mhamdi")


def test_register_takes_a_record(scratch_registry):
    with pytest.raises(TypeError, match="register takes an attacks.Attack, got 'throwaway'"):
        attacks.register("throwaway")
    with pytest.raises(TypeError):  # the former decorator form
        attacks.register("throwaway", "every Byzantine coordinate is 1")
    assert "throwaway" not in attacks.names()


def test_the_function_must_take_the_options():
    with pytest.raises(ValueError, match=r"attack 'throwaway': attack_fn must take \(honest, context, value, z\)"):
        _record(options={"value": 1.0, "z": None})
    _record(attack_fn=lambda honest, context, **settings: honest)  # **settings takes any options


def test_unknown_name_lists_the_known_attacks():
    with pytest.raises(ValueError, match="unknown attack 'bogus'; known attacks: alie, "):
        attacks.get("bogus")
