"""The words of the printed invoice, in the customer's language (Dutch or English).

The printed invoice is a legal document that is stored when the invoice is posted and never
rendered again, so its wording is kept here, beside the renderer, rather than in the portal's
translation catalogue: editing a screen translation can never change what an invoice says,
and a Dutch invoice reads Dutch even where the portal's Dutch catalogue is not compiled.
Numbers and dates are formatted by Django's own locale formats (``translation.override``).
"""

#: Languages an invoice can be printed in (Customer.language); anything else prints Dutch.
LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "nl"

#: Date formats (Django ``date`` filter syntax) per language: 31-03-2026 / 31 March 2026.
DATE_FORMATS = {"nl": "d-m-Y", "en": "j F Y"}

LABELS: dict[str, dict[str, str]] = {
    "nl": {
        "invoice": "Factuur",
        "credit_note": "Creditnota",
        "pro_forma": "PRO FORMA",
        "pro_forma_note": "Concept – dit is geen geldige factuur",
        "number": "Factuurnummer",
        "credit_note_number": "Creditnotanummer",
        "reference": "Referentie (concept)",
        "invoice_date": "Factuurdatum",
        "due_date": "Vervaldatum",
        "supply_period": "Leveringsperiode",
        "customer_reference": "Uw referentie",
        "contract": "Contract",
        "customer_vat_number": "Btw-nummer klant",
        "vat_number": "Btw-nummer",
        "chamber_of_commerce": "KvK",
        "iban": "IBAN",
        "bic": "BIC",
        "corrects": "Corrigeert factuur %(number)s van %(date)s",
        "date": "Datum",
        "description": "Omschrijving",
        "quantity": "Uren/aantal",
        "rate": "Tarief",
        "amount": "Bedrag",
        "vat": "Btw",
        "subtotal": "Subtotaal",
        "non_chargeable": "niet in rekening gebracht",
        "complimentary": "kosteloos",
        "vat_breakdown": "Btw-specificatie",
        "vat_rate": "BTW %(rate)s%%",
        "vat_base": "Grondslag",
        "vat_unknown": "Btw niet te bepalen: %(reason)s",
        "net": "Totaal exclusief btw",
        "vat_total": "Totaal btw",
        "gross": "Totaal inclusief btw",
        "payment_terms": "Betalingstermijn: %(days)s dagen",
        "payment_reference": "Betalingskenmerk",
        "pay": (
            "Wij verzoeken u het bedrag van %(currency)s %(amount)s vóór %(due)s over te maken "
            "op rekening %(iban)s ten name van %(name)s, onder vermelding van "
            "betalingskenmerk %(reference)s."
        ),
        "refund": (
            "Het bedrag van %(currency)s %(amount)s wordt verrekend met openstaande facturen "
            "of aan u terugbetaald (kenmerk %(reference)s)."
        ),
        "timesheet": "Urenspecificatie",
        "timesheet_of": "Bijlage bij %(title)s %(number)s",
        "resource": "Medewerker",
        "role": "Rol",
        "hours": "Uren",
        "total_hours": "Totaal uren",
        "page": "Pagina",
        "of": "van",
    },
    "en": {
        "invoice": "Invoice",
        "credit_note": "Credit note",
        "pro_forma": "PRO FORMA",
        "pro_forma_note": "Draft – this is not a valid invoice",
        "number": "Invoice number",
        "credit_note_number": "Credit note number",
        "reference": "Reference (draft)",
        "invoice_date": "Invoice date",
        "due_date": "Due date",
        "supply_period": "Supply period",
        "customer_reference": "Your reference",
        "contract": "Contract",
        "customer_vat_number": "Customer VAT number",
        "vat_number": "VAT number",
        "chamber_of_commerce": "Chamber of Commerce",
        "iban": "IBAN",
        "bic": "BIC",
        "corrects": "Corrects invoice %(number)s of %(date)s",
        "date": "Date",
        "description": "Description",
        "quantity": "Hours/qty",
        "rate": "Rate",
        "amount": "Amount",
        "vat": "VAT",
        "subtotal": "Subtotal",
        "non_chargeable": "not charged",
        "complimentary": "complimentary",
        "vat_breakdown": "VAT breakdown",
        "vat_rate": "VAT %(rate)s%%",
        "vat_base": "Base",
        "vat_unknown": "VAT cannot be determined: %(reason)s",
        "net": "Total excluding VAT",
        "vat_total": "Total VAT",
        "gross": "Total including VAT",
        "payment_terms": "Payment terms: %(days)s days",
        "payment_reference": "Payment reference",
        "pay": (
            "Please pay %(currency)s %(amount)s by %(due)s to account %(iban)s in the name of "
            "%(name)s, quoting payment reference %(reference)s."
        ),
        "refund": (
            "The amount of %(currency)s %(amount)s will be set off against open invoices or "
            "refunded to you (reference %(reference)s)."
        ),
        "timesheet": "Timesheet",
        "timesheet_of": "Appendix to %(title)s %(number)s",
        "resource": "Resource",
        "role": "Role",
        "hours": "Hours",
        "total_hours": "Total hours",
        "page": "Page",
        "of": "of",
    },
}

#: The legal text a VAT category prints beside its VAT row. A Dutch invoice prints the VAT
#: code's own ``invoice_text`` (the accountant's Dutch legal text, e.g. "Btw verlegd") and
#: falls back to these; an English invoice prints these (e.g. "VAT reverse charged").
VAT_CATEGORY_TEXTS: dict[str, dict[str, str]] = {
    "nl": {
        "reverse_charge": "Btw verlegd",
        "exempt": "Vrijgesteld van btw",
        "zero": "Btw 0%",
    },
    "en": {
        "reverse_charge": "VAT reverse charged",
        "exempt": "Exempt from VAT",
        "zero": "VAT 0%",
    },
}


def labels_for(language: str) -> dict[str, str]:
    return LABELS[language if language in LANGUAGES else DEFAULT_LANGUAGE]
