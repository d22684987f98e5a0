"""Load platform.yaml + environments/<env>.yaml into one validated `Platform`, with locations."""

from reconciler.config.loader import LoadedConfig, known_environments, load

__all__ = ["LoadedConfig", "known_environments", "load"]
