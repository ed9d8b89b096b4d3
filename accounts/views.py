"""Pages for accounts. Thin: parse the form, reach data through access helpers, call a service."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from config.web import safe_next

from . import access, selectors, services
from .errors import DomainError, ErrorCode, apply_domain_error
from .forms import LoginForm, OrganisationContactsForm, SignupForm, SiteForm
from .language import user_language_record
from .models import Membership, Organisation


def home(request):
    if request.user.is_authenticated:
        return redirect("matching:dashboard")
    return render(request, "home.html", {"organisations": Organisation.objects.filter(verified=True).count()})


class LoginView(auth_views.LoginView):
    """Django's login. Failed attempts are limited per account and per address by django-axes
    (``AXES_*`` settings), for this page and ``/admin/login/`` alike."""

    form_class = LoginForm
    template_name = "registration/login.html"


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset by e-mail. It answers the same whether or not the address is known, and
    the link in the e-mail points at ``SITE_URL`` (not at whatever Host the request named)."""

    template_name = "registration/password_reset.html"
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"

    def form_valid(self, form):
        self.extra_email_context = {"site_url": settings.SITE_URL}
        return super().form_valid(form)


def signup(request):
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user, org = services.organisation_register(
                username=data["username"],
                password=data["password"],
                email=data["email"],
                organisation_name=data["organisation_name"],
                kind=data["kind"],
                sector=data["sector"],
            )
        except DomainError as exc:
            mapping = {"name": "organisation_name"}
            exc.field = mapping.get(exc.field, exc.field)
            apply_domain_error(form, exc)
        else:
            # E-mails start in the language the sign-up page was shown in.
            user_language_record(user=user, language=translation.get_language() or "")
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request, _("Welcome! %(org)s awaits verification by the municipality.") % {"org": org.name}
            )
            return redirect("matching:dashboard")
    return render(request, "registration/signup.html", {"form": form})


@login_required
def dashboard(request):
    organisations = selectors.organisation_list_for(user=request.user).filter(
        id__in=access.member_organisation_ids(request.user)
    )
    return render(request, "accounts/dashboard.html", {"organisations": organisations})


@login_required
def organisation_detail(request, pk: int, contacts_form=None):
    org = access.access_organisation(request.user, pk)
    is_member = org.id in access.member_organisation_ids(request.user)
    sites = org.sites.all() if is_member or access.is_authority(request.user) else []
    is_admin = (
        is_member
        and Membership.objects.filter(
            user=request.user, organisation=org, role=Membership.Role.ADMIN
        ).exists()
    )
    if is_admin and contacts_form is None:
        contacts_form = OrganisationContactsForm(
            initial={field: getattr(org, field) for field in (*Organisation.CONTACT_FIELDS, "public_profile")}
        )
    return render(
        request,
        "accounts/organisation.html",
        {
            "organisation": org,
            "sites": sites,
            "is_member": is_member,
            "is_admin": is_admin,
            "shows_contacts": is_member or access.is_authority(request.user),
            "contacts_form": contacts_form if is_admin else None,
            "events": selectors.event_list_for(user=request.user, organisation=org)[:20]
            if is_member or access.is_authority(request.user)
            else [],
        },
        status=400 if contacts_form is not None and contacts_form.errors else 200,
    )


@login_required
@require_POST
def organisation_contacts(request, pk: int):
    """The organisation page's contacts form (admins only; other members 403, others 404)."""
    org = access.access_organisation(request.user, pk)
    access.require_organisation_admin(request.user, org)
    form = OrganisationContactsForm(request.POST)
    if form.is_valid():
        try:
            services.organisation_settings_update(organisation=org, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            if exc.code is not ErrorCode.INVALID:
                raise
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Contacts saved."))
            return redirect("accounts:organisation", pk=org.pk)
    return organisation_detail(request, pk, contacts_form=form)


@login_required
def event_log(request):
    """The city's audit log (the municipality only), with the API's filters and a CSV link."""
    from .audit import EventFilters, event_filters, event_log_for
    from .event_labels import action_choices

    access.require_authority(request.user)
    error = None
    try:
        filters = event_filters(request.GET)
    except DomainError as exc:
        if exc.code is not ErrorCode.INVALID:
            raise
        error, filters = exc, EventFilters()
    events = event_log_for(user=request.user, filters=filters)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/events.html",
        {
            "page": Paginator(events, 50).get_page(request.GET.get("page")),
            "filters": filters,
            "error": error,
            "actions": action_choices(),
            "organisations": Organisation.objects.order_by("name").only("id", "name"),
            "query": query.urlencode(),
        },
        status=400 if error else 200,
    )


@login_required
def verification_queue(request):
    access.require_authority(request.user)
    page = Paginator(selectors.verification_queue(), 25).get_page(request.GET.get("page"))
    return render(request, "accounts/verification_queue.html", {"page": page})


@login_required
@require_POST
def organisation_verify(request, pk: int):
    org = access.access_organisation(request.user, pk)
    verified = request.POST.get("verified", "true") != "false"
    services.organisation_verify(organisation=org, actor=request.user, verified=verified)
    messages.success(
        request,
        _("%(org)s is now verified.") % {"org": org.name}
        if verified
        else _("Verification of %(org)s withdrawn.") % {"org": org.name},
    )
    return redirect(safe_next(request, reverse("accounts:verification-queue")))


def _site_form_page(request, form, *, site=None, organisation=None):
    return render(
        request, "accounts/site_form.html", {"form": form, "site": site, "organisation": organisation}
    )


@login_required
def site_create(request):
    org = access.acting_organisation(request.user, access.int_or_none(request.GET.get("organisation")))
    form = SiteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            site = services.site_create(organisation=org, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Site “%(name)s” added.") % {"name": site.name})
            return redirect("accounts:organisation", pk=org.pk)
    return _site_form_page(request, form, organisation=org)


@login_required
def site_edit(request, pk: int):
    site = access.access_site(request.user, pk, for_write=True)
    initial = {f: getattr(site, f) for f in ("name", "address", "latitude", "longitude", "district")}
    form = SiteForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.site_update(site=site, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Site saved."))
            return redirect("accounts:organisation", pk=site.organisation_id)
    return _site_form_page(request, form, site=site, organisation=site.organisation)


@login_required
@require_POST
def site_delete(request, pk: int):
    site = access.access_site(request.user, pk, for_write=True)
    org_id = site.organisation_id
    try:
        services.site_delete(site=site, actor=request.user)
    except DomainError as exc:
        if exc.code is not ErrorCode.CONFLICT:
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Site deleted."))
    return redirect("accounts:organisation", pk=org_id)


@login_required
def profile(request):
    """The signed-in user's profile: who they are, and the language e-mails are written in."""
    from .forms import ProfileLanguageForm
    from .language import user_language, user_language_choose

    form = ProfileLanguageForm(request.POST or None, initial={"language": user_language(request.user)})
    if request.method == "POST" and form.is_valid():
        try:
            user_language_choose(user=request.user, language=form.cleaned_data["language"])
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("Saved: e-mails will be written in %(language)s.")
                % {"language": dict(settings.LANGUAGES)[request.user.language]},
            )
            return redirect("accounts:profile")
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/profile.html", {"form": form}, status=status)
