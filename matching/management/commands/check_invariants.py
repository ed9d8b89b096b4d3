"""List every violated invariant of the matching data; exit non-zero when there is any."""

from django.core.management.base import BaseCommand, CommandError

from matching.invariants import INVARIANTS, check_invariants


class Command(BaseCommand):
    help = (
        "Check runs, commitments, deliveries, stored CO₂e and orphans against their invariants; "
        "print one line per violation and exit 1 if there is any."
    )

    def handle(self, *args, **options):
        violations = check_invariants()
        if not violations:
            self.stdout.write(self.style.SUCCESS(f"All {len(INVARIANTS)} invariants hold."))
            return
        for violation in violations:
            self.stdout.write(str(violation))
        broken = len({v.invariant for v in violations})
        raise CommandError(
            f"{len(violations)} violation(s) of {broken} of {len(INVARIANTS)} invariants.", returncode=1
        )
