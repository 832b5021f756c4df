"""Each domain error names its own status; the wire maps the name, with no table to forget."""

from __future__ import annotations

import grpc
import pytest

from services.domain import errors
from services.rpc.status import status_code_for


def _kinds(base: type) -> list[type]:
    return [k for sub in base.__subclasses__() for k in (sub, *_kinds(sub))]


@pytest.mark.parametrize("kind", _kinds(errors.KnowportError), ids=lambda k: k.__name__)
def test_every_error_kind_names_a_real_status_other_than_internal(kind):
    assert kind.code in grpc.StatusCode.__members__
    assert status_code_for(kind("x")) is grpc.StatusCode[kind.code] != grpc.StatusCode.INTERNAL


def test_a_kind_inherits_its_parents_status():
    assert status_code_for(errors.StorageUnavailable("down")) is grpc.StatusCode.UNAVAILABLE
