"""K10, the right of reply: the provider's challenge form (from the offer page and the My KPIs
drill-down), and the challenges page: the contract managers' queue, where each challenge sits
beside its offer's delivered / seen / answered record and is decided, and the provider's list of
its own (A1)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from brokerage.models import Offer
from brokerage.notifications import with_email_state
from core.errors import PAGE_ERRORS, page_refusal

from .. import services
from ..challenge_selectors import STATUS_FILTERS, challenge_queryset
from ..forms import ChallengeForm, DecisionForm
from ..models import Challenge, ChallengeStatus
from ..permissions import may_challenge, may_decide_challenges, may_read_challenges
from .common import PAGE_SIZE, _only, council_kpi

STATUS_TABS = [
    ("open", "Waiting for a decision"),
    ("upheld", "Upheld"),
    ("rejected", "Rejected"),
    ("all", "All"),
]


def _challengers_only(view):
    """Provider users, for their own offers (A1 through `visible_to`); everyone else 403."""
    return _only(may_challenge, view)


@_challengers_only
def challenge_new(request: HttpRequest, offer: int) -> HttpResponse:
    """The challenge form for one of the user's offers (A1: 404 otherwise). When the offer cannot
    be challenged (answered, too late, challenged already) the page says why in place of the form;
    a refused challenge shows the error summary."""
    offer = get_object_or_404(
        with_email_state(
            Offer.objects.visible_to(request.user).select_related(
                "package__ward", "branch", "provider"
            )
        ),
        pk=offer,
    )
    form = ChallengeForm(request.POST or None)
    problem = ""
    if request.method == "POST" and form.is_valid():
        try:
            services.challenge_make(
                actor=request.user, offer=offer, reason=form.cleaned_data["reason"]
            )
        except PAGE_ERRORS as exc:
            problem = page_refusal(form, exc)
        else:
            messages.success(
                request,
                f"Your challenge of the No Response to package {offer.package.reference} is sent "
                "to the council's contract managers. You will get an e-mail when they decide.",
            )
            return redirect(reverse("brokerage:offer", args=[offer.pk]) + "#challenge")
    return render(
        request,
        "kpi/challenge_form.html",
        {
            "offer": offer,
            "package": offer.package,
            "form": form,
            "problem": problem,
            "closed": "" if problem else services.challenge_problem(offer),
            "last_day": services.challenge_last_day(offer),
        },
    )


def _queue(
    request: HttpRequest, *, bound: DecisionForm | None = None, problem: str = ""
) -> HttpResponse:
    """The challenges page: one status at a time (contract managers start at those waiting), each
    open challenge with its decision form for a contract manager; `bound` is a form posted with
    errors, shown on its challenge."""
    user = request.user
    deciding = may_decide_challenges(user)
    status = request.GET.get("status") or ("open" if deciding else "all")
    if status not in STATUS_FILTERS:
        raise Http404("No such status")
    counts = Challenge.objects.visible_to(user).aggregate(
        all=Count("id"), **{s.value: Count("id", filter=Q(status=s)) for s in ChallengeStatus}
    )
    rows = (
        challenge_queryset(user).filter(status__in=STATUS_FILTERS[status]).order_by("made_at", "id")
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    for challenge in page:
        challenge.form = None
        if deciding and challenge.status == ChallengeStatus.OPEN:
            if bound is not None and bound.prefix == _prefix(challenge.pk):
                challenge.form = bound
            else:
                challenge.form = DecisionForm(prefix=_prefix(challenge.pk))
    return render(
        request,
        "kpi/challenge_list.html",
        {
            "page": page,
            "status": status,
            "tabs": [(code, label, counts[code]) for code, label in STATUS_TABS],
            "deciding": deciding,
            "form": bound,
            "problem": problem,
            "query": f"status={status}",
        },
    )


def _prefix(pk: int) -> str:
    return f"c{pk}"


def _readers_only(view):
    """Provider users (their own, A1) and council staff (every challenge); everyone else 403."""
    return _only(may_read_challenges, view)


@_readers_only
def challenge_list(request: HttpRequest) -> HttpResponse:
    return _queue(request)


@council_kpi
@require_POST
def challenge_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Uphold or reject one challenge, as the button pressed says, with the comment; refused
    (no comment, decided already) the queue comes back with the form's errors."""
    challenge = get_object_or_404(Challenge.objects.select_related("offer__package"), pk=pk)
    form = DecisionForm(request.POST, prefix=_prefix(pk))
    problem = ""
    if form.is_valid():
        try:
            services.challenge_decide(
                actor=request.user,
                challenge=challenge,
                uphold=form.uphold,
                comment=form.cleaned_data["comment"],
            )
        except PAGE_ERRORS as exc:
            problem = page_refusal(form, exc)
        else:
            verb = "upheld" if form.uphold else "rejected"
            messages.success(
                request,
                f"Challenge of package {challenge.offer.package.reference} {verb}. The provider "
                "has been sent your comment.",
            )
            return redirect("kpi:challenges")
    return _queue(request, bound=form, problem=problem)
