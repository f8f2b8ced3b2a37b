"""The accounting kernel: accounts, periods, VAT, posting, journals, receivables."""
