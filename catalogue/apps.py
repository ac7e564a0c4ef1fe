from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CatalogueConfig(AppConfig):
    name = "catalogue"
    verbose_name = "Exercise catalogue"

    def ready(self):
        from catalogue.roles import ensure_therapists_group

        # post_migrate, not a data migration: permissions exist only after migrate runs.
        post_migrate.connect(ensure_therapists_group, sender=self)
