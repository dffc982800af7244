"""`manage.py create_portal_user USERNAME --role ROLE --password P [--email E] [--provider REF]
[--branch REF]`: a portal user with one role (API.md)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from providers.models import Role
from providers.services import password_problems, user_create


class Command(BaseCommand):
    help = (
        "Create a portal user. A provider role needs --provider; provider_branch also --branch. "
        "Like createsuperuser --noinput, the password is not held to the password validators; a "
        "weak one is only warned about."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, help=f"one of {', '.join(Role.values)}")
        parser.add_argument("--password", required=True)
        parser.add_argument("--email", default="")
        parser.add_argument("--provider", dest="provider_ref", help="the provider's reference")
        parser.add_argument("--branch", dest="branch_ref", help="the branch's reference")

    def handle(self, *args, username, role, password, email, provider_ref, branch_ref, **options):
        try:
            user = user_create(
                username=username,
                role=role,
                password=password,
                email=email,
                provider_ref=provider_ref,
                branch_ref=branch_ref,
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        except ValueError as error:
            raise CommandError(str(error)) from None
        problems = password_problems(password, username=username, email=email)
        if problems:
            self.stderr.write(f"Warning: weak password ({' '.join(problems)})")
        where = f" at {user.provider.name}" if user.provider else ""
        where += f" ({user.branch.name})" if user.branch else ""
        self.stdout.write(f"Created {user.get_role_display().lower()} user '{username}'{where}")
