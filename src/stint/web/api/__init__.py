"""The REST API: accounts, activities, time entries, timer, reports, and its OpenAPI document."""
