"""The money domain, pure Python (no Flask, no database): what goes on an invoice, its totals and VAT,
credit lines for clawbacks, matching a provider's own invoice against what is owed, the status an
invoice may move to and who may move it there (four-eyes), and the budget arithmetic.

Rounding (one rule, documented in docs/invoicing.md): every line is an entitlement that the engine
already rounded to whole cents; VAT is computed once per invoice on the subtotal of its lines and
rounded half-up to the cent, as EN 16931 asks (VAT per category, not per line).
"""
