"""Each domain error names its own status; the wire maps the name, with no table to forget."""

from __future__ import annotations

import grpc
import pytest

import services.ingestor.enrich  # noqa: F401  (error kinds defined beside their use cases)
import services.mcp_bridge.providers  # noqa: F401
from services.domain import errors
from services.rpc.status import status_code_for

DOMAIN_KINDS = [k for k in vars(errors).values() if isinstance(k, type)
                and issubclass(k, errors.KnowportError) and k is not errors.KnowportError]


def _kinds(base: type) -> list[type]:
    return [k for sub in base.__subclasses__() for k in (sub, *_kinds(sub))]


@pytest.mark.parametrize("kind", DOMAIN_KINDS, ids=lambda k: k.__name__)
def test_every_domain_error_kind_names_a_real_status_other_than_internal(kind):
    assert status_code_for(kind("x")) is grpc.StatusCode[kind.code] != grpc.StatusCode.INTERNAL


@pytest.mark.parametrize("kind", sorted(_kinds(errors.KnowportError), key=lambda k: k.__name__),
                         ids=lambda k: k.__name__)
def test_every_error_kind_anywhere_names_a_status_the_wire_knows(kind):
    assert kind.code in grpc.StatusCode.__members__


def test_a_kind_inherits_its_parents_status():
    assert status_code_for(errors.StorageUnavailable("down")) is grpc.StatusCode.UNAVAILABLE
