"""The production settings with no cache at all: what the first view after a change costs."""

from bonefit.settings import *  # noqa: F403

CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
