"""Retrieval: embedder, vector stores (Qdrant Edge, Qdrant server), hybrid search."""
