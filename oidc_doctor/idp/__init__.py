"""The identity provider's own settings (Dex, Keycloak): what its tokens will carry, read before any token."""
