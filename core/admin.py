from django.contrib import admin


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """For the ledger and its records: written by the services only, so
    staff can read them here but not add, change or delete them."""

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]


class ReadOnlyTabularInline(admin.TabularInline):
    """The records a ledger row owns (its refunds, moves, claim lines),
    listed on its page: every field in `fields` is read-only, and none
    can be added or deleted here."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
