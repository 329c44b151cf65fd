from tests.scenarios.world import world

__all__ = ["world"]
