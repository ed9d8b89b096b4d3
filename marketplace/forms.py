"""Forms for marketplace pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from . import importers


class ListingImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV or XLSX file"),
        help_text=_("At most 2 MB and 5,000 rows. Nothing is imported unless every row is valid."),
    )
    organisation = forms.ModelChoiceField(queryset=None, label=_("Organisation"), required=False)

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        if organisations.count() <= 1:
            del self.fields["organisation"]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > importers.MAX_IMPORT_BYTES:
            raise forms.ValidationError(_("The file is larger than 2 MB."))
        return upload
