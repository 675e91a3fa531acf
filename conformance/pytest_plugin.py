"""pytest plugin of the conformance suite (inert unless --xgrad-backend is given)."""
