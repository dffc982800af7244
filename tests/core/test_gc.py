"""core.gc (issue 13): the collector held off inside `paused()` and left as it was after."""

import gc as python_gc

import pytest

from core import gc


def test_paused_holds_the_collector_off_and_gives_it_back_even_on_an_error():
    assert python_gc.isenabled()
    with gc.paused():
        assert not python_gc.isenabled()
    assert python_gc.isenabled()
    with pytest.raises(ValueError), gc.paused():
        raise ValueError("a bad row")
    assert python_gc.isenabled()


def test_paused_leaves_a_collector_someone_else_turned_off_off():
    python_gc.disable()
    try:
        with gc.paused():
            pass
        assert not python_gc.isenabled()
    finally:
        python_gc.enable()


def test_freeze_moves_the_loaded_objects_out_of_sight():
    before = python_gc.get_freeze_count()
    loaded = [object() for _ in range(10)] + [[]]
    gc.freeze()
    try:
        assert python_gc.get_freeze_count() > before
    finally:
        python_gc.unfreeze()
    assert loaded
