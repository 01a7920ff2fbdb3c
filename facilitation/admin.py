from django.contrib import admin

from facilitation.models import LiveSession, Participant


@admin.register(LiveSession)
class LiveSessionAdmin(admin.ModelAdmin):
    list_display = ["workshop", "join_code", "door_open", "started_at", "closed_at"]
    readonly_fields = ["qr_token", "seq"]


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ["name", "area", "live", "joined_at", "removed_at"]
    list_filter = ["live"]
