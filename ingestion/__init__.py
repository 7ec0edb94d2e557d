"""Ingestion: loaders, heading-aware chunking and the incremental ingest job."""
