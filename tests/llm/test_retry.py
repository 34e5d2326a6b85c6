from abmcts.llm import RetryPolicy
from abmcts.llm.retry import backoff_delay, is_retryable_status, parse_retry_after, short_message


def test_backoff_is_exponential_jittered_deterministic_and_capped():
    policy = RetryPolicy(base_delay_s=1.0, max_delay_s=10.0, jitter=0.5, seed=0)
    delays = [backoff_delay(policy, "key", a) for a in range(6)]
    assert delays == [backoff_delay(policy, "key", a) for a in range(6)]
    for attempt, d in enumerate(delays[:4]):
        assert 0.5 * 2**attempt <= d <= 2**attempt
    assert delays[5] == 10.0
    assert backoff_delay(policy, "other", 0) != delays[0]
    assert backoff_delay(RetryPolicy(seed=1), "key", 0) != backoff_delay(RetryPolicy(seed=0), "key", 0)


def test_retry_after_is_a_lower_bound_within_the_cap():
    policy = RetryPolicy(base_delay_s=0.1, max_delay_s=5.0, jitter=0.0)
    assert backoff_delay(policy, "k", 0, retry_after_s=2.0) == 2.0
    assert backoff_delay(policy, "k", 0, retry_after_s=60.0) == 5.0
    assert backoff_delay(policy, "k", 3, retry_after_s=0.2) == 0.8


def test_header_parsing_and_status_classes():
    assert parse_retry_after("3") == 3.0 and parse_retry_after(" 0.5 ") == 0.5
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") is None and parse_retry_after(None) is None
    assert all(is_retryable_status(s) for s in (None, 408, 429, 500, 503))
    assert not any(is_retryable_status(s) for s in (400, 401, 403, 404, 422))


def test_short_message_is_one_bounded_line():
    assert short_message("a\n  b") == "a b"
    assert len(short_message("x" * 500)) == 200
