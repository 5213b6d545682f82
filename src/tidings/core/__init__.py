"""The pure-Python core of Tidings: no Django imports, no database.

Everything here can be tested on real files alone: fetching, feed parsing,
extraction, text utilities, story clustering, summarising.
"""
