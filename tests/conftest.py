"""Shared test settings: no per-example deadline for hypothesis (CI machines vary in speed)."""

from hypothesis import settings

settings.register_profile("hedgecore", deadline=None)
settings.load_profile("hedgecore")
