from django import template

from matching.explain import explanation

register = template.Library()


@register.simple_tag
def explain(obj) -> str:
    """The one-line explanation of a proposal or deal, in the active language."""
    return explanation(obj)
