from django.contrib import admin

from agreements.models import Agreement, Owner, StatusUpdate


class OwnerInline(admin.TabularInline):
    model = Owner
    extra = 0
    readonly_fields = ["token"]


class StatusUpdateInline(admin.TabularInline):
    model = StatusUpdate
    extra = 0


@admin.register(Agreement)
class AgreementAdmin(admin.ModelAdmin):
    list_display = ["text", "organisation", "workshop", "due_date", "outcome", "status"]
    list_filter = ["organisation", "outcome", "status"]
    search_fields = ["text", "problem"]
    inlines = [OwnerInline, StatusUpdateInline]
