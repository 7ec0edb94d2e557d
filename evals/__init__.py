"""Evaluation of retrieval and answers on QA sets."""
