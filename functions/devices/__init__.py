"""Device registry: registerDevice / unregisterDevice (AppSync direct Lambda resolver)."""
