"""Authentication (who you are) and authorisation (what your role may do)."""
