from django.db import DatabaseError, connection


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except DatabaseError:
        return False


def home_summary(*, user) -> dict:
    """What people look for first on the home page."""
    return {}
