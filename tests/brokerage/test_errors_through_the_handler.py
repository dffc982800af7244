"""A brokerage service's refusal reaches the API client through the one exception handler
(issue 9.2): the service raises a domain error, `core.api.exception_handler` answers it."""

from __future__ import annotations

from unittest import mock

from brokerage.services import BrokerageError, InvalidResponse
from core import api as core_api
from core.errors import as_domain_error


def spy():
    return mock.patch.object(core_api, "as_domain_error", wraps=as_domain_error)


def test_editing_a_sent_package_is_a_state_conflict_answered_409(api_as, nina, offered_package):
    with spy() as seen:
        response = api_as(nina).patch(
            f"/api/v1/packages/{offered_package.pk}/", {"hours_per_week": 12}, format="json"
        )
    assert response.status_code == 409
    assert set(response.json()) == {"detail"}
    error = seen.call_args.args[0]
    assert isinstance(error, BrokerageError) and response.json()["detail"] == str(error)


def test_awarding_an_unanswered_offer_is_invalid_input_answered_400(api_as, nina, offered_package):
    offer = offered_package.offers.first()
    with spy() as seen:
        response = api_as(nina).post(
            f"/api/v1/packages/{offered_package.pk}/award/", {"offer": offer.pk}, format="json"
        )
    assert isinstance(seen.call_args.args[0], InvalidResponse)
    assert response.status_code == 400
    assert response.json() == {
        "offer": ["Only an open offer where the branch made an offer can be awarded."]
    }
