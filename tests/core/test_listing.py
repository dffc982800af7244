"""`core.listing`: a list's links and days made once, the same as reverse() and the date filter."""

from datetime import UTC, date, datetime

from django.template import Context, Template
from django.urls import reverse

from core.listing import day_labels, link_for


def test_link_for_fills_each_id_into_the_route_reversed_once():
    link = link_for("brokerage:offer")
    assert [link(pk) for pk in (1, 98765)] == [
        reverse("brokerage:offer", args=[1]),
        reverse("brokerage:offer", args=[98765]),
    ]
    assert link_for("brokerage:batch", "https://portal.example")(7) == (
        "https://portal.example" + reverse("brokerage:batch", args=[7])
    )


def test_day_labels_read_as_the_date_filter_does_in_london_time():
    label = day_labels()
    late_summer_evening = datetime(2026, 6, 1, 23, 30, tzinfo=UTC)  # 00:30 on 2 June in London
    late_winter_evening = datetime(2026, 1, 5, 23, 30, tzinfo=UTC)
    template = Template('{{ d|date:"j M Y" }}')
    for day in (late_summer_evening, late_winter_evening, date(2026, 3, 9)):
        assert label(day) == template.render(Context({"d": day}))
    assert label(late_summer_evening) == "2 Jun 2026"
    assert label(None) == ""


class _Markup:
    """Something with its own markup (`__html__`), as a form's bound field has."""

    def __html__(self) -> str:
        return "<b>bold</b>"


def test_row_html_writes_and_escapes_as_format_html_does():
    from decimal import Decimal

    from django.utils.html import conditional_escape, format_html
    from django.utils.safestring import SafeString, mark_safe
    from django.utils.translation import gettext_lazy

    from core.listing import escaped, row_html

    values = (
        "<script>alert('x') & \"y\"</script>",
        mark_safe("<strong>kept</strong>"),
        42,
        Decimal("7.50"),
        None,
        gettext_lazy("Urgent & <soon>"),
        _Markup(),
        "",
    )
    template = "<td>{}</td>" * len(values)
    made = row_html(template, *values)
    assert made == format_html(template, *values) and isinstance(made, SafeString)
    assert "&lt;script&gt;alert(&#x27;x&#x27;) &amp; &quot;y&quot;" in made
    for value in values:
        assert escaped(value) == conditional_escape(value)
        assert isinstance(escaped(value), SafeString)


def _select(html: str) -> tuple[dict, list[tuple[str, bool, str]]]:
    """A select's attributes and its options as (value, selected, text), read as a browser would."""
    from html.parser import HTMLParser

    found: dict = {"attrs": {}, "options": []}

    class Reader(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag == "select":
                found["attrs"] = dict(attrs)
            elif tag == "option":
                keys = dict(attrs)
                found["options"].append([keys["value"], "selected" in keys, ""])

        def handle_data(self, data):
            if found["options"] and data.strip():
                found["options"][-1][2] += data

    Reader().feed(html)
    return found["attrs"], [tuple(option) for option in found["options"]]


def test_many_options_select_writes_what_djangos_select_writes():
    """Issue 13: a select of thousands of providers or wards written in one pass reads, to a
    browser, as Django's own: the same attributes, the same options in order, the same escaping,
    the same one selected (also the empty choice while nothing is chosen)."""
    from django import forms

    from core.forms import ManyOptionsSelect
    from core.listing import options_html

    choices = [
        ("", "Choose a provider"),
        ("P1", "Ash & Oak <Care>"),
        ("P2", 'Birch "Home" Care'),
        (3, "Cedar"),
    ]
    attrs = {"data-portal-autocomplete": "provider", "class": "govuk-select", "id": "id_p"}
    for value in (None, "", "P2", 3, "missing"):
        ours = ManyOptionsSelect(attrs=attrs, choices=choices).render("provider", value)
        django = forms.Select(attrs=attrs, choices=choices).render("provider", value)
        assert _select(ours) == _select(django)
    attrs_read, options = _select(ManyOptionsSelect(choices=choices).render("provider", "P2"))
    assert [o for o in options if o[1]] == [("P2", True, 'Birch "Home" Care')]
    assert "Ash &amp; Oak &lt;Care&gt;" in options_html(choices, set())


def test_a_form_with_many_options_keeps_the_choice_made(db):
    """A bound provider choice (by reference) is the one selected when the form is shown again."""
    from kpi.forms import ReturnProviderForm
    from tests.factories import ProviderFactory

    ProviderFactory(ref="PA", name="Amber")
    ProviderFactory(ref="PB", name="Birch")
    _, options = _select(str(ReturnProviderForm({"provider": "PB"})["provider"]))
    assert options == [
        ("", False, "Choose a provider"),
        ("PA", False, "Amber (PA)"),
        ("PB", True, "Birch (PB)"),
    ]
