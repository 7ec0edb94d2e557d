"""Checkout: the pricing catalog, signed checkout links and purchases."""
