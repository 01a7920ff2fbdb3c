from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from workshops.models import (
    ActivityKind,
    Area,
    Assumption,
    Membership,
    Organisation,
    Principle,
    Question,
    Responsibility,
)


class AreaInline(admin.TabularInline):
    model = Area
    extra = 0


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "time_zone", "created_at"]
    search_fields = ["name", "slug"]
    inlines = [AreaInline, MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "is_facilitator", "is_manager", "is_active"]
    list_filter = ["organisation", "is_facilitator", "is_manager", "is_active"]
    raw_id_fields = ["user"]


@admin.register(Assumption)
class AssumptionAdmin(admin.ModelAdmin):
    list_display = ["position", "text"]


@admin.register(Principle)
class PrincipleAdmin(admin.ModelAdmin):
    list_display = ["position", "name", "slug"]


@admin.register(Responsibility)
class ResponsibilityAdmin(admin.ModelAdmin):
    list_display = ["holder", "position", "text"]
    list_filter = ["holder"]


@admin.register(ActivityKind)
class ActivityKindAdmin(admin.ModelAdmin):
    list_display = ["position", "name", "slug", "default_minutes", "default_grouping"]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["key", "text", "phase", "area_tags", "tone", "theme", "organisation"]
    list_filter = ["phase", "tone", "theme", "organisation"]
    search_fields = ["text", "intent", "key"]
    filter_horizontal = ["principles"]

    def save_model(self, request: HttpRequest, obj: Question, form: Any, change: bool) -> None:
        obj.refresh_search_text()
        super().save_model(request, obj, form, change)
