"""`native.load()` and the BULYAN_NATIVE switch; no built library needed."""

import warnings

import pytest

import native
from native import loader


@pytest.fixture
def missing_library(monkeypatch, tmp_path):
    """A fresh loader state whose library file does not exist."""
    monkeypatch.setattr(loader, "LIBRARY", tmp_path / "missing.so")
    monkeypatch.setattr(loader, "_loaded", {})
    monkeypatch.setattr(loader, "_warned", False)
    return tmp_path / "missing.so"


def test_zero_always_gives_the_pure_tf_path(monkeypatch):
    monkeypatch.setenv("BULYAN_NATIVE", "0")
    assert native.load() is None


def test_zero_does_not_even_try_to_load(monkeypatch, missing_library):
    monkeypatch.setenv("BULYAN_NATIVE", "0")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert native.load() is None
    assert loader._loaded == {}


def test_one_with_the_library_missing_raises(monkeypatch, missing_library):
    monkeypatch.setenv("BULYAN_NATIVE", "1")
    with pytest.raises(RuntimeError, match="BULYAN_NATIVE=1.*missing.so"):
        native.load()


def test_unset_with_the_library_missing_warns_once(monkeypatch, missing_library):
    monkeypatch.delenv("BULYAN_NATIVE", raising=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert native.load() is None
        assert native.load() is None
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert len(messages) == 1
    assert "pure-TF path" in messages[0] and "missing.so" in messages[0]


def test_the_variable_is_read_at_each_call(monkeypatch, missing_library):
    monkeypatch.setenv("BULYAN_NATIVE", "0")
    assert native.load() is None
    monkeypatch.setenv("BULYAN_NATIVE", "1")
    with pytest.raises(RuntimeError):
        native.load()


def test_unknown_value_is_rejected(monkeypatch):
    monkeypatch.setenv("BULYAN_NATIVE", "yes")
    with pytest.raises(ValueError, match="BULYAN_NATIVE must be '0', '1' or unset, got 'yes'"):
        native.load()


@pytest.mark.skipif(not loader.LIBRARY.exists(), reason="native op not built")
def test_one_with_the_library_built_gives_the_op(monkeypatch):
    monkeypatch.setenv("BULYAN_NATIVE", "1")
    function = native.load()
    assert callable(function)
    assert function is native.load()  # loaded once, cached
    assert function([[1.0], [2.0], [4.0]], 2).numpy().tolist() == [1.5]
