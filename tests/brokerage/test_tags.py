"""`brokerage_tags`: each choice's tag made once, and the same for a model and for a list's row."""

from types import SimpleNamespace

from brokerage.models import Offer, Outcome, PlacementResponse
from brokerage.templatetags.brokerage_tags import outcome_tag, response_tag


def test_tags_read_each_choice_as_its_label_and_no_answer_as_awaiting():
    made = Offer(placement_response=PlacementResponse.OFFER_MADE, outcome=Outcome.AWARDED)
    assert response_tag(made) == '<strong class="govuk-tag govuk-tag--green">Offer Made</strong>'
    assert outcome_tag(made) == '<strong class="govuk-tag govuk-tag--green">Awarded</strong>'
    unanswered = Offer(placement_response=None, outcome=Outcome.OPEN)
    assert ">Awaiting answer<" in response_tag(unanswered) and "--yellow" in response_tag(
        unanswered
    )


def test_a_value_that_is_no_choice_reads_as_itself_in_grey_as_its_display_would():
    odd = SimpleNamespace(placement_response="maybe", outcome="<lost>")
    assert response_tag(odd) == '<strong class="govuk-tag govuk-tag--grey">maybe</strong>'
    assert outcome_tag(odd) == '<strong class="govuk-tag govuk-tag--grey">&lt;lost&gt;</strong>'
