from django.conf import settings
from django.http import HttpRequest


def clinic(request: HttpRequest) -> dict:
    return {"CLINIC_TIME_ZONE": settings.CLINIC_TIME_ZONE}
