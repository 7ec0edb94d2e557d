"""FastAPI app: routes, auth, schemas, error mapping."""
