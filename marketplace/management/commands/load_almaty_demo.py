"""Load the Almaty demo (idempotent) and print what it holds and the logins."""

from django.core.management.base import BaseCommand

from marketplace import demo


class Command(BaseCommand):
    help = (
        "Load the material catalogue and factors (if none is active), organisations, users, sites and "
        "listings drawn from the Almaty study's cases. Safe to run twice."
    )

    def handle(self, *args, **options):
        summary = demo.load_demo()
        self.stdout.write(
            self.style.SUCCESS(
                f"Almaty demo: {summary.organisations} organisations, "
                f"{summary.active_listings} active listings "
                f"({summary.active_offers} offers, {summary.active_needs} needs); created now: "
                f"{summary.offers_created} offers, {summary.needs_created} needs."
            )
        )
        self.stdout.write(f"Demo logins (password for all: {demo.DEMO_PASSWORD}):")
        for d in demo.ORGANISATIONS:
            self.stdout.write(f"  {d.key:<12} {d.name} ({d.kind})")
