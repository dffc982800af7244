from django.conf import settings


def portal(request):
    return {"PORTAL_CONTACT_EMAIL": settings.PORTAL_CONTACT_EMAIL}
