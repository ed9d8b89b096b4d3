"""Load the Almaty demo (idempotent) and print the logins."""
from django.core.management.base import BaseCommand

from marketplace import demo


class Command(BaseCommand):
    help = "Load organisations, users and sites drawn from the Almaty study's cases. Safe to run twice."

    def handle(self, *args, **options):
        organisations = demo.load_organisations()
        self.stdout.write(self.style.SUCCESS(f"Almaty demo: {len(organisations)} organisations."))
        self.stdout.write(f"Demo logins (password for all: {demo.DEMO_PASSWORD}):")
        for d in demo.ORGANISATIONS:
            self.stdout.write(f"  {d.key:<12} {d.name} ({d.kind})")
