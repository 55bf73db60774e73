"""Invoices and budgets: storage, pages and exports around the pure :mod:`invoicing` package."""
