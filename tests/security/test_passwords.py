import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError


def test_a_password_needs_at_least_twelve_characters():
    with pytest.raises(ValidationError, match="at least 12 characters"):
        validate_password("Kq7#vLp2!xZ")  # 11, otherwise strong
    validate_password("Kq7#vLp2!xZw")  # 12
