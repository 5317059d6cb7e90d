from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smmile.errors import UserError
from smmile.sharding import in_shard, parse_shard, shard_from_env


@given(st.text(min_size=1), st.integers(min_value=1, max_value=64))
def test_every_problem_is_in_exactly_one_shard(problem_id, n):
    assert sum(in_shard(problem_id, (k, n)) for k in range(n)) == 1


@given(st.lists(st.uuids().map(str), min_size=200, max_size=200, unique=True))
def test_shards_are_roughly_balanced(ids):
    sizes = [sum(in_shard(i, (k, 4)) for i in ids) for k in range(4)]
    assert min(sizes) > 20


def test_parse_shard():
    assert parse_shard("1/4") == (1, 4)
    for bad in ("4/4", "-1/2", "1", "a/b", "0/0"):
        with pytest.raises(UserError):
            parse_shard(bad)


def test_shard_from_env():
    assert shard_from_env({}) is None
    assert shard_from_env({"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "4"}) == (3, 4)
    env = {"SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "1"}
    assert shard_from_env(env) == (3, 4)
    with pytest.raises(UserError):
        shard_from_env({"SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_COUNT": "4"})
