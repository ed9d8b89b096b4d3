"""Bootstrap an organisation and its admin user (e.g. the municipality on a fresh install)."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts import services
from accounts.errors import DomainError
from accounts.models import Membership, Organisation, User


class Command(BaseCommand):
    help = "Create an organisation with an admin user. Idempotent for an existing user and organisation."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--kind", required=True, choices=Organisation.Kind.values)
        parser.add_argument("--sector", required=True, choices=Organisation.Sector.values)
        parser.add_argument("--user", required=True, help="username of the organisation's admin")
        parser.add_argument("--password", required=True)
        parser.add_argument("--email", default="")
        parser.add_argument("--verified", action="store_true")

    def handle(self, *args, **opts):
        try:
            with transaction.atomic():
                org = Organisation.objects.filter(name__iexact=opts["name"]).first()
                created_org = org is None
                if org is None:
                    org = services.organisation_create(
                        name=opts["name"], kind=opts["kind"], sector=opts["sector"]
                    )
                user = User.objects.filter(username=opts["user"]).first()
                if user is None:
                    user = services.user_create(
                        username=opts["user"], password=opts["password"], email=opts["email"]
                    )
                services.membership_add(user=user, organisation=org, role=Membership.Role.ADMIN)
                if opts["verified"] and not org.verified:
                    # Bootstrapping: no municipality exists yet to verify the first one.
                    Organisation.objects.filter(pk=org.pk).update(verified=True)
                    org.refresh_from_db()
                    services.event_record(
                        actor=None,
                        action="organisation.verified",
                        obj=org,
                        organisation=org,
                        data={"by": "create_organisation command"},
                    )
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        state = "created" if created_org else "exists"
        self.stdout.write(
            self.style.SUCCESS(
                f"Organisation #{org.pk} {org.name!r} ({org.kind}, {org.sector}, "
                f"{'verified' if org.verified else 'unverified'}) {state}; admin user {user.username!r}."
            )
        )
