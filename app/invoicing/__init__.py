"""Invoices: storage, pages, file reading and exports around the pure :mod:`invoicing` package."""
