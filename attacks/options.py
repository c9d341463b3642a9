"""Checks an attack's keyword options against its defaults (one place for every attack).

Options may arrive as Python values or as strings from the command line
(`--attack_options budget=16`); each one is converted to the type of its default (a string
default takes strings only). An option named in `auto` (a number whose default is a float or None)
also takes the string "auto" (any case), which the attack reads as "search for this value at
every step" (`alie`'s z, `ipm`'s epsilon). `attacks.Attack.resolve` calls `resolve` with the
attack's options.
"""

import math

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
AUTO = "auto"


def resolve(attack_name, options, defaults, auto=()):
    """Returns `defaults` updated with `options`, each value converted to its default's type.

    A default of None means "computed by the attack unless given": a given value is a float.
    The options named in `auto` also take "auto" (returned as `AUTO`).
    Raises ValueError naming the attack and the option for an unknown option or a bad value.
    """
    unknown = sorted(set(options) - set(defaults))
    if unknown:
        raise ValueError(f"attack {attack_name!r} has no option {unknown[0]!r}; "
                         f"its options are: {', '.join(sorted(defaults)) or 'none'}")
    resolved = dict(defaults)
    for key, value in options.items():
        if key in auto and is_auto(value):
            resolved[key] = AUTO
        else:
            resolved[key] = _convert(attack_name, key, value, defaults[key], key in auto)
    return resolved


def is_auto(value):
    """Whether `value` is the string "auto" (any case, surrounding spaces ignored)."""
    return isinstance(value, str) and value.strip().lower() == AUTO


def _convert(attack_name, key, value, default, takes_auto=False):
    try:
        if isinstance(default, bool):
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            raise ValueError
        if isinstance(default, int):
            number = float(value) if isinstance(value, str) else value
            if isinstance(number, bool) or number != int(number):
                raise ValueError
            return int(number)
        if default is None or isinstance(default, float):
            number = float(value)
            if math.isnan(number):
                raise ValueError
            return number
        if isinstance(default, str) and not isinstance(value, str):
            raise ValueError
        return value
    except (TypeError, ValueError, OverflowError):
        also = f" (or {AUTO!r}: searched at every step)" if takes_auto else ""
        raise ValueError(f"attack {attack_name!r}: option {key!r} must be {_kind(default)}, "
                         f"got {value!r}{also}") from None


def _kind(default):
    if isinstance(default, bool):
        return "a boolean"
    if isinstance(default, int):
        return "an integer"
    return "a string" if isinstance(default, str) else "a number"


def require(attack_name, condition, message):
    """Raises ValueError(`attack <name>: <message>`) unless `condition`."""
    if not condition:
        raise ValueError(f"attack {attack_name!r}: {message}")
