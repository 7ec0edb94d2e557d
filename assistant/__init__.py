"""The website sales assistant: intent, grounded answers, catalog prices, lead capture."""
