"""Readers' accounts and comments."""
