"""``{% first_steps %}``: the first-steps checklist while any step is left to do."""

from __future__ import annotations

from django import template

from marketplace.onboarding import first_steps_for

register = template.Library()


@register.inclusion_tag("accounts/partials/first_steps.html", takes_context=True)
def first_steps(context) -> dict:
    request = context.get("request")
    steps = first_steps_for(user=request.user) if request is not None else []
    return {"steps": steps if any(not s.done for s in steps) else []}
