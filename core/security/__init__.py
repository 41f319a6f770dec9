"""Actors, tokens, permissions, area scoping, field encryption."""

from bangfu.core.security.actor import ANONYMOUS, SYSTEM, Actor, ActorKind, Role

__all__ = ["ANONYMOUS", "SYSTEM", "Actor", "ActorKind", "Role"]
