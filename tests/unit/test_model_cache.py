"""The loaded-model cache stays bounded however many distinct models are asked for."""

import threading

import pytest

from core.models import model_cache, store
from core.models.model_cache import CacheLimits, ModelCache


class Weights:
    """A stand-in for a model that only has a size (the cache never looks inside)."""

    def __init__(self, params: int):
        self.params = params

    def count_params(self) -> int:
        return self.params


def test_count_stays_bounded_over_many_distinct_models():
    cache = ModelCache(CacheLimits(max_models=5, max_bytes=10**12))
    for number in range(100):
        cache.get(("run", number), lambda number=number: Weights(number + 1))
        assert len(cache) <= 5
    assert cache.loads == 100 and cache.evictions == 95
    assert cache.keys() == [("run", number) for number in range(95, 100)]  # the most recent five


def test_bytes_stay_bounded_and_the_least_recently_used_go_first():
    cache = ModelCache(CacheLimits(max_models=100, max_bytes=1000))
    for name in "abc":
        cache.get(name, lambda: Weights(100))  # 400 bytes each: a and b fit, c pushes a out
    assert cache.keys() == ["b", "c"] and cache.total_bytes == 800
    cache.get("b", lambda: pytest.fail("b is cached: must not load again"))
    cache.get("d", lambda: Weights(100))
    assert cache.keys() == ["b", "d"]  # c was the least recently used, not b
    for number in range(50):
        cache.get(number, lambda: Weights(50))
        assert cache.total_bytes <= 1000


def test_a_model_larger_than_the_budget_is_still_served_alone():
    cache = ModelCache(CacheLimits(max_models=3, max_bytes=100))
    big = Weights(1000)
    assert cache.get("big", lambda: big) is big
    assert cache.keys() == ["big"]
    cache.get("small", lambda: Weights(1))
    assert cache.keys() == ["small"]


def test_a_failed_load_is_not_cached():
    cache = ModelCache(CacheLimits(max_models=3, max_bytes=100))

    def broken():
        raise store.ArtifactError("damaged")

    with pytest.raises(store.ArtifactError):
        cache.get("x", broken)
    assert "x" not in cache and len(cache) == 0
    assert cache.get("x", lambda: Weights(1)).params == 1


def test_drop_forgets_a_replaced_model():
    cache = ModelCache()
    cache.get(("m", 1.0), lambda: Weights(1))
    cache.get(("n", 1.0), lambda: Weights(1))
    assert cache.drop(lambda key: key[0] == "m") == 1
    assert cache.keys() == [("n", 1.0)]


def test_many_threads_keep_the_bound():
    cache = ModelCache(CacheLimits(max_models=4, max_bytes=10**9))

    def visitor(offset: int) -> None:
        for number in range(200):
            cache.get((offset + number) % 40, lambda: Weights(10))

    threads = [threading.Thread(target=visitor, args=(offset,)) for offset in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert 1 <= len(cache) <= 4


def test_real_keras_models_are_sized_by_their_weights(tiny_model):
    model = store.load_model(tiny_model)
    assert model_cache.weight_bytes(model) == model.count_params() * 4 > 0
    assert model_cache.weight_bytes(object()) == 0


def test_limits_come_from_the_environment(monkeypatch):
    monkeypatch.setenv(model_cache.ENV_MAX_MODELS, "7")
    monkeypatch.setenv(model_cache.ENV_MAX_MB, "30")
    assert CacheLimits.from_env() == CacheLimits(7, 30_000_000)
    monkeypatch.setenv(model_cache.ENV_MAX_MODELS, "lots")
    with pytest.raises(ValueError, match="FASHION_STUDIO_MAX_LOADED_MODELS must be a whole number"):
        CacheLimits.from_env()
    monkeypatch.setenv(model_cache.ENV_MAX_MODELS, "0")
    with pytest.raises(ValueError, match="at least 1"):
        CacheLimits.from_env()
