"""Background tasks (Django's `django.tasks`, on the database-backed queue by default)."""
