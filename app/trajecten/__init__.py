"""Referrals, traject events, evidence and imports: the klantmanager's and provider's work."""
