"""Report endpoints, included under /api/v1/."""

from django.urls import path

from . import api

urlpatterns = [
    path("reports/impact/", api.ImpactReportView.as_view(), name="report-impact"),
    path("deliveries/<int:pk>/act/", api.DeliveryActView.as_view(), name="delivery-act"),
]
