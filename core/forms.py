"""The one GOV.UK form base: every page's form (brokerage, wards, kpi) is drawn as GOV.UK Design
System components through it.

A form built on `GovukForm` (or `GovukModelForm`) gets the GOV.UK classes on its widgets, its hint
tied to the input (`aria-describedby`), the error state after validation, and `error_links`: each
message with the id of the input to fix, for the one error summary (`templates/includes/
error_summary.html`). `GovukDateField` is the GOV.UK date input (three boxes). Forms only parse and
check what a person typed; the services decide what the state allows.
"""

from __future__ import annotations

from datetime import UTC, date, timedelta

from django import forms
from django.forms.boundfield import BoundField
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.safestring import SafeString
from django_filters.fields import IsoDateTimeField

from .listing import escaped, options_html

DATE_PARTS = ("day", "month", "year")

# The error modifier each kind of input takes; anything else is a text input.
ERROR_CLASSES = {
    forms.Textarea: "govuk-textarea--error",
    forms.Select: "govuk-select--error",
    forms.FileInput: "govuk-file-upload--error",
}


class DateParts(forms.Widget):
    """The GOV.UK date input: three boxes named `<name>-day`, `<name>-month` and `<name>-year`.

    The page template draws the boxes (`templates/includes/date.html`); this widget only reads them.
    """

    def value_from_datadict(self, data, files, name) -> tuple[str, str, str]:
        return tuple(str(data.get(f"{name}-{part}", "")).strip() for part in DATE_PARTS)

    def value_omitted_from_data(self, data, files, name) -> bool:
        return not any(f"{name}-{part}" in data for part in DATE_PARTS)

    def id_for_label(self, id_: str) -> str:
        # The error summary links to the first box, as the GOV.UK pattern asks.
        return f"{id_}-day" if id_ else id_


class DateBoundField(BoundField):
    @property
    def parts(self) -> dict[str, str]:
        """The day, month and year to show in the boxes: what was typed, or the initial date."""
        value = self.value()
        if isinstance(value, date):
            return {"day": str(value.day), "month": str(value.month), "year": str(value.year)}
        if isinstance(value, tuple | list) and len(value) == 3:
            return dict(zip(DATE_PARTS, value, strict=True))
        return dict.fromkeys(DATE_PARTS, "")


def date_example(today: date | None = None) -> str:
    """The hint under a date input: 'For example, 27 3 2026', four weeks after today (Europe/London),
    so the example is a date the form would accept, never one already past."""
    day = (today or timezone.localdate(timezone=timezone.get_default_timezone())) + timedelta(
        weeks=4
    )
    return f"For example, {day.day} {day.month} {day.year}"


class GovukDateField(forms.Field):
    """A date typed as day, month and year, with the GOV.UK error messages. Without a `help_text`,
    a `GovukForm` gives it a worked example (`date_example`) each time the form is built."""

    widget = DateParts
    bound_field_class = DateBoundField

    def to_python(self, value) -> date | None:
        if isinstance(value, date) or value is None:
            return value
        if not any(value):
            return None
        missing = [part for part, typed in zip(DATE_PARTS, value, strict=True) if not typed]
        if missing:
            raise forms.ValidationError(f"{self.label} must include a {' and a '.join(missing)}")
        try:
            day, month, year = (int(typed) for typed in value)
            if year < 1000:
                raise forms.ValidationError("Year must include 4 numbers")
            return date(year, month, day)
        except ValueError as exc:
            raise forms.ValidationError(f"{self.label} must be a real date") from exc


def error_anchor(form: forms.BaseForm, name: str) -> str:
    """The id of the input an error on field `name` of any form should take the reader to: the
    field's input, the first radio or checkbox of a choice, the day box of a date; a form-wide
    error goes to the form's first field."""
    if name not in form.fields:
        name = next(iter(form.fields))
    bound = form[name]
    # CheckboxSelectMultiple is a RadioSelect in Django: both draw `<id>_0` first.
    if isinstance(bound.field.widget, forms.RadioSelect):
        return f"{bound.auto_id}_0"
    return bound.id_for_label


def error_links(form: forms.BaseForm | None) -> list[tuple[str, str]]:
    """(anchor, message) for every error of `form` (none for no form), form-wide errors first,
    then the fields' in the order they appear on the page."""
    if not isinstance(form, forms.BaseForm) or not form.errors:
        return []
    links = [(error_anchor(form, "__all__"), str(e)) for e in form.non_field_errors()]
    for name in form.fields:
        links += [(error_anchor(form, name), str(e)) for e in form.errors.get(name, [])]
    return links


class GovukFormMixin:
    """GOV.UK classes on the widgets, the hint and error message tied to the input, the error
    state after validation, and the links the error summary needs."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(field, GovukDateField) and not field.help_text:
                field.help_text = date_example()  # per form, so the example moves with the days
            if isinstance(widget, forms.Textarea):
                # Rows as each form sets them: Django's Textarea already says rows="10".
                widget.attrs.setdefault("class", "govuk-textarea")
            elif isinstance(widget, forms.FileInput):
                widget.attrs.setdefault("class", "govuk-file-upload")
            elif isinstance(widget, forms.Select) and not isinstance(widget, forms.RadioSelect):
                widget.attrs.setdefault("class", "govuk-select")
            elif isinstance(widget, forms.TextInput | forms.NumberInput):
                widget.attrs.setdefault("class", "govuk-input")
            if field.help_text:
                widget.attrs["aria-describedby"] = f"{self[name].auto_id}-hint"

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name not in self.fields:
                continue
            widget = self.fields[name].widget
            error_class = next(
                (css for kind, css in ERROR_CLASSES.items() if isinstance(widget, kind)),
                "govuk-input--error",
            )
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {error_class}".strip()
            ids = [widget.attrs.get("aria-describedby", ""), f"{self[name].auto_id}-error"]
            widget.attrs["aria-describedby"] = " ".join(i for i in ids if i)

    def anchor(self, name: str) -> str:
        """The id of the input an error on field `name` should take the reader to."""
        return error_anchor(self, name)

    @property
    def error_links(self) -> list[tuple[str, str]]:
        """(anchor, message) for every error, in the order the fields appear on the page."""
        return error_links(self)


class GovukForm(GovukFormMixin, forms.Form):
    """A plain form drawn as GOV.UK components."""


class GovukModelForm(GovukFormMixin, forms.ModelForm):
    """A model form drawn as GOV.UK components."""


# PostgreSQL keeps UTC offsets within ±15:59; Python accepts up to ±23:59, so a filter like
# `sent_after=2026-03-03T00:00+16:00` would reach the database and fail there (issue 14.4).
MAX_UTC_OFFSET = timedelta(hours=15, minutes=59)
MOMENT_EXAMPLE = "such as 2026-03-02T11:00:00Z or 2026-03-02T11:00:00+01:00"


class BoundedIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time the database can compare with: a UTC offset within ±15:59, and a
    moment that stays within years 1 to 9999 once taken to UTC; ValidationError saying so."""

    def clean(self, value):
        moment = super().clean(value)
        if moment is None:
            return None
        offset = moment.utcoffset()
        if offset is not None and abs(offset) > MAX_UTC_OFFSET:
            raise forms.ValidationError(
                f"Give a UTC offset between -15:59 and +15:59, {MOMENT_EXAMPLE}", code="offset"
            )
        try:
            moment.astimezone(UTC) if offset is not None else timezone.make_aware(moment)
        except (OverflowError, ValueError):
            raise forms.ValidationError(
                f"Give a date and time between the years 1 and 9999, {MOMENT_EXAMPLE}",
                code="range",
            ) from None
        return moment


def _NARROW() -> forms.NumberInput:  # noqa: N802 - a widget factory, read like a class
    return forms.NumberInput(attrs={"class": "govuk-input govuk-input--width-5"})


def _hours(label: str, hint: str, low: int = 1) -> forms.IntegerField:
    return forms.IntegerField(
        label=label, help_text=hint, min_value=low, max_value=24 * 28, widget=_NARROW()
    )


def _weight(label: str, hint: str) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, help_text=hint, min_value=0, max_value=100, decimal_places=2, widget=_NARROW()
    )


class PortalSettingsForm(GovukForm):
    """The administrator's settings page (P6, P10, K1, L1); `core.portal_settings` checks the
    rest (reminders before deadlines, not every weight zero) and saves with an audit record."""

    standard_deadline_hours = _hours("Hours to answer a standard package", "P6: 72 is 3 days.")
    urgent_deadline_hours = _hours("Hours to answer an urgent package", "P6: 24 is a day.")
    reminder_hours_standard = _hours(
        "Remind an unanswered standard offer this many hours before its deadline", "P10.", 0
    )
    reminder_hours_urgent = _hours(
        "Remind an unanswered urgent offer this many hours before its deadline", "P10.", 0
    )
    weight_response_rate = _weight(
        "Weight of the response rate", "L1: the provider's response rate over the last 90 days."
    )
    weight_quality = _weight("Weight of quality", "L1: the provider's CQC rating.")
    weight_market_share = _weight(
        "Weight of market share",
        "L1: fewer weekly hours already held in awarded packages scores higher.",
    )
    weight_start = _weight(
        "Weight of the start date", "L1: an earlier offered start scores higher."
    )
    kpi_exclude_urgent = forms.BooleanField(
        label="Leave urgent packages out of response rates",
        help_text="K1: on the KPI pages and in the shortlist.",
        required=False,
    )


class ManyOptionsSelect(forms.Select):
    """A select of many options (every provider, ward or branch of a national market), written as
    Django's `Select` writes it but in one pass (`core.listing.options_html`), not through a
    template include an option (issue 13: 3,000 providers took 0.1 s a select). For flat choices
    (no groups), with the attributes on the select alone."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        options = options_html(self.choices, set(widget["value"]))
        return SafeString(
            f'<select name="{escaped(widget["name"])}"{flatatt(widget["attrs"])}>{options}\n</select>'
        )

    def optgroups(self, name, value, attrs=None):
        return []  # the options are written by `render`, not listed for a template
