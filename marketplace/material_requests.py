"""Requests for a material that is not in the catalogue, and the municipality's answers.

A company asks (name, what it is); the municipality sees every open request and answers it, in
words and, when it can, with the catalogue material to use (one added for the request, or one
that already fits). Both steps are audit events.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.access import (
    acting_organisation,
    is_authority,
    member_organisation_ids,
    pk_or_404,
    require_authority,
)
from accounts.errors import conflict, invalid, not_found
from accounts.language import supported_language
from accounts.services import event_record

from .models import Material, MaterialRequest, MaterialRequestStatus

if TYPE_CHECKING:
    from accounts.models import User

log = logging.getLogger(__name__)

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
    request_id = material_request.pk
    transaction.on_commit(lambda: material_request_answer_email(material_request_id=request_id))
    return material_request


def material_request_answer_email(*, material_request_id: int) -> None:
    """Tell the person who asked what the municipality answered, in their language."""
    found = MaterialRequest.objects.select_related("requested_by", "material").filter(pk=material_request_id)
    material_request = found.first()
    user = material_request.requested_by if material_request else None
    if material_request is None or user is None or not user.email:
        return
    with translation.override(supported_language(user.language) or settings.LANGUAGE_CODE):
        subject = _("Qaita: your request for “%(name)s” is answered") % {"name": material_request.name}
        lines = [_("The municipality answered: %(answer)s") % {"answer": material_request.answer}]
        if material_request.material is not None:
            lines.append(
                _("Use the catalogue material %(material)s (key %(key)s).")
                % {"material": material_request.material.name, "key": material_request.material.key}
            )
        lines.append(
            _("Your requests: %(url)s")
            % {"url": f"{settings.SITE_URL}{reverse('marketplace:material-requests')}"}
        )
    try:
        send_mail(subject, "\n\n".join(lines), settings.DEFAULT_FROM_EMAIL, [user.email])
    except Exception:  # mail must never undo a committed answer
        log.exception("material request e-mail failed")


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
