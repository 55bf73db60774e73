"""The contract domain, pure Python (no Flask, no database): payment models as validated data,
outcome definitions and the entitlement engine. Filled by the payment-model release."""
