"""Budgets per gemeente, year and funding source: the overview, entering and importing budget lines."""
