"""Provider performance and management reports: the indicators of :mod:`contracts.indicators`, computed in SQL."""
