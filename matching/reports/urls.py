"""Printable reports, under /reports/."""

from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("impact/", views.impact_report_page, name="impact"),
    path("impact.pdf", views.impact_report_pdf, name="impact-pdf"),
    path("deliveries/<int:pk>/act/", views.delivery_act_page, name="delivery-act"),
    path("deliveries/<int:pk>/act.pdf", views.delivery_act_pdf, name="delivery-act-pdf"),
]
