"""Portal pages of the billing backlog and pro-forma invoices (routes in
:mod:`invoicing.billing_urls`, under ``/billing/``, namespace ``invoicing``)."""
