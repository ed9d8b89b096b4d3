"""``{% proposal_decisions p as d %}``: the viewer's decisions on a proposal (see matching.decisions)."""

from __future__ import annotations

from django import template

from matching.decisions import Decisions, proposal_decisions_for

register = template.Library()


@register.simple_tag(takes_context=True)
def proposal_decisions(context, proposal) -> Decisions:
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return Decisions()
    return proposal_decisions_for(user=request.user, proposal=proposal)
