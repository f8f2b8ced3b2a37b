"""Time and expense entries, approval, pricing, and project actuals."""
