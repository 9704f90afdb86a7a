"""The one form renderer of the staff pages (issue 20, part 1): every `{{ form }}` and
`{{ field }}` goes through envgrid/web/templates/web/forms/, so fields, labels, required
marks, help texts and errors look and read the same on every page (styles in
web/envgrid.css)."""

from __future__ import annotations

from django.forms.renderers import DjangoTemplates


class EnvgridFormRenderer(DjangoTemplates):
    """Django's own widget templates, the project's form and field layout.

    A form may name `wide_fields` (a tuple of field names) that take the whole row, such
    as a title; text areas always do."""

    form_template_name = "web/forms/form.html"
    field_template_name = "web/forms/field.html"
