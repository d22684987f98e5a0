"""Load platform.yaml + environments/<env>.yaml into one validated desired state, with locations.

`desired_state` is the one entry point the rest of reconciler uses: it returns the typed
`reconciler.core.desired.DesiredState`, secrets resolved once (unless asked not to).
"""

from reconciler.config.build import desired_state, from_config
from reconciler.config.loader import LoadedConfig, load
from reconciler.config.overlays import known_environments

__all__ = ["LoadedConfig", "desired_state", "from_config", "known_environments", "load"]
