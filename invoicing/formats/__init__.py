"""Our date and number formats per language (settings.FORMAT_MODULE_PATH).

Only what differs from Django's own locale formats is set here; the rest falls through to them.
Pages show dates with ``|date:"SHORT_DATE_FORMAT"`` and amounts with ``|amount``
(contracts/templatetags/money.py).
"""
