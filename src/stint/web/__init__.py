"""The HTTP face of Stint: the app factory, the REST API, its OpenAPI document and docs page."""
