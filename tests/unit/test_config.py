"""Settings.from_env: every setting the search Lambdas read, from an environment mapping."""

from __future__ import annotations

import re
from typing import Any

import pytest

from search_service.config import Settings
from search_service.domain.start import Policy


def test_from_env_empty_environment_returns_defaults() -> None:
    assert Settings.from_env({}) == Settings()


def test_from_env_unrelated_variables_returns_defaults() -> None:
    assert Settings.from_env({"PATH": "/usr/bin", "HOME": "/root"}) == Settings()


@pytest.mark.parametrize("blank", ["", "   ", "\t"])
def test_from_env_blank_values_return_defaults(blank: str) -> None:
    env = {
        name: blank
        for name in (
            "RESULTS_BUCKET",
            "S3_ENDPOINT_URL",
            "AWS_REGION",
            "RESULT_MAX_AGE_SECONDS",
            "SUPPLIER_TIMEOUT_SECONDS",
            "MAX_DAYS_AHEAD",
        )
    }

    assert Settings.from_env(env) == Settings()


@pytest.mark.parametrize(
    ("variable", "raw", "field", "value"),
    [
        ("RESULTS_BUCKET", "my-bucket", "results_bucket", "my-bucket"),
        ("RESULTS_BUCKET", "  my-bucket  ", "results_bucket", "my-bucket"),
        ("RESULTS_PREFIX", "cache/", "results_prefix", "cache/"),
        ("SEARCH_FUNCTION_NAME", "search-fn", "search_function_name", "search-fn"),
        ("S3_ENDPOINT_URL", "http://127.0.0.1:4566", "s3_endpoint_url", "http://127.0.0.1:4566"),
        ("AWS_REGION", "eu-west-1", "region", "eu-west-1"),
        ("RESULT_MAX_AGE_SECONDS", "600", "result_max_age_s", 600),
        ("RESULT_MAX_AGE_SECONDS", " 600 ", "result_max_age_s", 600),
        ("SEARCH_DEADLINE_SECONDS", "90", "search_deadline_s", 90),
        ("SUPPLIER_TIMEOUT_SECONDS", "7.5", "supplier_timeout_s", 7.5),
        ("SUPPLIER_TIMEOUT_SECONDS", "8", "supplier_timeout_s", 8.0),
        ("SUPPLIER_LATENCY_SCALE", "0.01", "supplier_latency_scale", 0.01),
        ("SUPPLIER_FAILURE_RATE", "0.2", "supplier_failure_rate", 0.2),
        ("RETRY_AFTER_SECONDS", "5", "retry_after_s", 5),
        ("MAX_RENTAL_DAYS", "14", "max_rental_days", 14),
        ("MAX_DAYS_AHEAD", "60", "max_days_ahead", 60),
    ],
)
def test_from_env_set_variable_returns_parsed_value(variable: str, raw: str, field: str, value: Any) -> None:
    settings = Settings.from_env({variable: raw})

    assert getattr(settings, field) == value
    assert type(getattr(settings, field)) is type(value)
    # and nothing else changed
    assert settings == Settings(**{field: value})


@pytest.mark.parametrize(
    ("variable", "raw", "kind"),
    [
        ("RESULT_MAX_AGE_SECONDS", "soon", "int"),
        ("RESULT_MAX_AGE_SECONDS", "1.5", "int"),
        ("SEARCH_DEADLINE_SECONDS", "2m", "int"),
        ("RETRY_AFTER_SECONDS", "two", "int"),
        ("MAX_RENTAL_DAYS", "1e2", "int"),
        ("MAX_DAYS_AHEAD", "-", "int"),
        ("SUPPLIER_TIMEOUT_SECONDS", "fast", "float"),
        ("SUPPLIER_LATENCY_SCALE", "1,5", "float"),
        ("SUPPLIER_FAILURE_RATE", "10%", "float"),
    ],
)
def test_from_env_unparsable_value_raises_value_error_naming_variable(variable: str, raw: str, kind: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(f'{variable}={raw!r} is not a valid {kind}')}$"):
        Settings.from_env({variable: raw})


@pytest.mark.parametrize(
    ("variable", "raw", "minimum"),
    [
        ("RESULT_MAX_AGE_SECONDS", "0", "1"),
        ("SEARCH_DEADLINE_SECONDS", "-5", "1"),
        ("SUPPLIER_TIMEOUT_SECONDS", "0.05", "0.1"),
        ("SUPPLIER_TIMEOUT_SECONDS", "-1", "0.1"),
        ("SUPPLIER_LATENCY_SCALE", "-0.5", "0"),
        ("SUPPLIER_FAILURE_RATE", "-0.1", "0"),
        ("RETRY_AFTER_SECONDS", "0", "1"),
        ("MAX_RENTAL_DAYS", "0", "1"),
        ("MAX_DAYS_AHEAD", "-1", "0"),
    ],
)
def test_from_env_value_below_minimum_raises_value_error_naming_variable(variable: str, raw: str, minimum: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(f'{variable}={raw!r} must be at least {minimum}')}$"):
        Settings.from_env({variable: raw})


@pytest.mark.parametrize(
    ("variable", "raw", "field", "value"),
    [
        ("RESULT_MAX_AGE_SECONDS", "1", "result_max_age_s", 1),
        ("SEARCH_DEADLINE_SECONDS", "1", "search_deadline_s", 1),
        ("SUPPLIER_TIMEOUT_SECONDS", "0.1", "supplier_timeout_s", 0.1),
        ("SUPPLIER_LATENCY_SCALE", "0", "supplier_latency_scale", 0.0),
        ("SUPPLIER_FAILURE_RATE", "0", "supplier_failure_rate", 0.0),
        ("RETRY_AFTER_SECONDS", "1", "retry_after_s", 1),
        ("MAX_RENTAL_DAYS", "1", "max_rental_days", 1),
        ("MAX_DAYS_AHEAD", "0", "max_days_ahead", 0),
    ],
)
def test_from_env_value_at_minimum_is_accepted(variable: str, raw: str, field: str, value: Any) -> None:
    assert getattr(Settings.from_env({variable: raw}), field) == value


@pytest.mark.parametrize("variable", ["SUPPLIER_TIMEOUT_SECONDS", "SUPPLIER_LATENCY_SCALE", "SUPPLIER_FAILURE_RATE"])
def test_from_env_nan_raises_value_error_naming_variable(variable: str) -> None:
    with pytest.raises(ValueError, match=variable):
        Settings.from_env({variable: "nan"})


def test_policy_returns_the_settings_limits() -> None:
    settings = Settings.from_env(
        {
            "MAX_RENTAL_DAYS": "14",
            "MAX_DAYS_AHEAD": "90",
            "RESULT_MAX_AGE_SECONDS": "600",
            "SEARCH_DEADLINE_SECONDS": "45",
        }
    )

    assert settings.policy() == Policy(
        max_rental_days=14, max_days_ahead=90, result_max_age_s=600, search_deadline_s=45
    )


@pytest.mark.parametrize(("raw", "handover"), [("invoke", "invoke"), ("queue", "queue"), (" Queue ", "queue")])
def test_handover_is_read_from_the_environment(raw: str, handover: str) -> None:
    settings = Settings.from_env({"HANDOVER": raw, "SEARCH_QUEUE_URL": "https://sqs.example/1/q"})
    assert (settings.handover, settings.search_queue_url) == (handover, "https://sqs.example/1/q")


def test_unknown_handover_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="HANDOVER='sns' must be one of invoke, queue"):
        Settings.from_env({"HANDOVER": "sns"})
