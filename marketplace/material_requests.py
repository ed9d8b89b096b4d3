"""Requests for a material that is not in the catalogue, and the municipality's answers.

A company asks (name, what it is); the municipality sees every open request and answers it, in
words and, when it can, with the catalogue material to use (one added for the request, or one
that already fits). Both steps are audit events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import (
    acting_organisation,
    is_authority,
    member_organisation_ids,
    pk_or_404,
    require_authority,
)
from accounts.errors import conflict, invalid, not_found
from accounts.services import event_record

from .models import Material, MaterialRequest, MaterialRequestStatus

if TYPE_CHECKING:
    from accounts.models import User

MAX_NAME = 200
MAX_TEXT = 2000


def _clean_text(field: str, value: str | None, max_length: int, *, required: bool) -> str:
    text = (value or "").strip()
    if required and not text:
        raise invalid(field, _("This field is required."))
    if len(text) > max_length:
        raise invalid(
            field, _("At most %(n)d characters (this has %(len)d).") % {"n": max_length, "len": len(text)}
        )
    return text


@transaction.atomic
def material_request_create(
    *, actor: User, name: str, description: str = "", organisation_id: int | None = None
) -> MaterialRequest:
    """A member asks, for their organisation, for a material the catalogue lacks."""
    organisation = acting_organisation(actor, organisation_id)
    name = _clean_text("name", name, MAX_NAME, required=True)
    description = _clean_text("description", description, MAX_TEXT, required=False)
    request = MaterialRequest.objects.create(
        organisation=organisation, requested_by=actor, name=name, description=description
    )
    event_record(
        actor=actor,
        action="material_request.created",
        obj=request,
        organisation=organisation,
        data={"name": name},
    )
    return request


@transaction.atomic
def material_request_answer(
    *, material_request: MaterialRequest, actor: User, answer: str, material: str | None = None
) -> MaterialRequest:
    """The municipality answers an open request, naming the catalogue material to use if any.

    Conditional on the request still being open, so two reviewers record one answer.
    """
    require_authority(actor)
    answer = _clean_text("answer", answer, MAX_TEXT, required=True)
    chosen = None
    if material:
        chosen = Material.objects.filter(key=material).first()
        if chosen is None:
            raise invalid("material", _("No material with the key %(key)s.") % {"key": material})
    status = MaterialRequestStatus.ADDED if chosen is not None else MaterialRequestStatus.ANSWERED
    updated = MaterialRequest.objects.filter(
        pk=material_request.pk, status=MaterialRequestStatus.OPEN
    ).update(status=status, answer=answer, material=chosen, answered_by=actor, answered_at=timezone.now())
    material_request.refresh_from_db()
    if not updated:
        raise conflict(_("This request has been answered already."), status=material_request.status)
    event_record(
        actor=actor,
        action="material_request.answered",
        obj=material_request,
        organisation=material_request.organisation,
        data={"status": status, "material": chosen.key if chosen else None},
    )
    return material_request


def material_request_list_for(*, user) -> QuerySet[MaterialRequest]:
    """The municipality sees every request; a member sees their organisations' own."""
    requests = MaterialRequest.objects.select_related("organisation", "material", "requested_by")
    if is_authority(user):
        return requests.all()
    return requests.filter(organisation_id__in=member_organisation_ids(user))


def access_material_request(user, pk) -> MaterialRequest:
    found = material_request_list_for(user=user).filter(pk=pk_or_404(pk)).first()
    if found is None:
        raise not_found()
    return found
