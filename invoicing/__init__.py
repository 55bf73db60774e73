"""The money domain, pure Python (no Flask, no database): invoices from entitlements, VAT, credit
notes, claim matching and the four-eyes approval rules. Filled by the invoicing release."""
