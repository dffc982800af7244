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

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    role = Role.NAVIGATOR
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")
