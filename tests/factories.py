"""factory_boy factories, one per model, shared by the whole suite."""

import factory
from django.utils import timezone

from providers.models import Branch, PdpsStatus, Provider, Role, User
from wards.models import Coverage, Ward


class WardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ward
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"E05{n:06d}")
    name = factory.Sequence(lambda n: f"Ward {n}")
    district = "Preston"


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider

    ref = factory.Sequence(lambda n: f"P{n:04d}")
    name = factory.Sequence(lambda n: f"Provider {n} Homecare Ltd")
    pdps_status = PdpsStatus.ACTIVE
    senior_manager_email = factory.LazyAttribute(lambda p: f"director@{p.ref.lower()}.example.org")


class BranchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Branch

    provider = factory.SubFactory(ProviderFactory)
    ref = factory.Sequence(lambda n: f"B{n:04d}")
    name = factory.Sequence(lambda n: f"Branch {n}")
    notification_email = factory.LazyAttribute(lambda b: f"{b.ref.lower()}@branches.example.org")


class CoverageFactory(factory.django.DjangoModelFactory):
    """Coverage written directly; tests of the register itself use `register_change`."""

    class Meta:
        model = Coverage

    branch = factory.SubFactory(BranchFactory)
    ward = factory.SubFactory(WardFactory)
    started_at = factory.LazyFunction(lambda: timezone.now() - timezone.timedelta(days=30))
    added_in = 1


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    role = Role.NAVIGATOR

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or "correct-horse-battery")
        if create:
            self.save(update_fields=["password"])


class PackageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "brokerage.Package"

    reference = factory.Sequence(lambda n: f"PKG-{n:05d}")
    ward = factory.SubFactory(WardFactory)
    postcode = "PR1 4AB"
    service_level = "homecare_single"
    hours_per_week = 10
    call_pattern = "2 calls a day, 30 minutes each"
    carer_gender = "any"
    urgency = "standard"
    start_date = factory.LazyFunction(lambda: timezone.localdate() + timezone.timedelta(days=7))
    needs_summary = "Help with personal care and meals after a hospital stay."
    person_name = "Mrs Edna Example"
    address = "1 Example Street, Preston"
    status = "draft"
