"""The template's Handover parameter, each value as CloudFormation would deploy it after the SAM transform: the
search queue and its event source exist only with "queue", each role may hand searches over only the chosen way,
and the queue's numbers follow AWS's advice and the local stack's stand-in. (cfn-lint and checkov read the template
with both branches; tests/infrastructure/test_search_stack.py and test_policy.py run them.)"""

from __future__ import annotations

from typing import Any

import pytest

from local_stack.search_api import SEARCH_MAX_CONCURRENCY, SEARCH_QUEUE_MAX_RECEIVES, SEARCH_TIMEOUT_S
from search_service.config import HANDOVERS, Settings
from tests.infrastructure.cloudformation import SEARCH_STACK, allows, load, resolved, resources, sam_transform

SEARCH_ARN = "arn:aws:lambda:us-east-1:123456789012:function:stack-SearchFunction-XYZ"
SEARCH_QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:stack-SearchQueue-XYZ"
LOST_QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:stack-LostSearchQueue-XYZ"
CALLBACK_QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:stack-CallbackQueue-XYZ"
NAMES = {
    "SearchFunction.Arn": SEARCH_ARN,
    "SearchQueue.Arn": SEARCH_QUEUE_ARN,
    "LostSearchQueue.Arn": LOST_QUEUE_ARN,
    "CallbackQueue.Arn": CALLBACK_QUEUE_ARN,
}


@pytest.fixture(scope="module")
def transformed() -> dict[str, Any]:
    return sam_transform(load(SEARCH_STACK))


def _deployed(transformed: dict[str, Any], handover: str, **parameters: str) -> dict[str, Any]:
    return resolved(transformed, Handover=handover, **parameters)


def _role(deployed: dict[str, Any], function: str) -> dict[str, Any]:
    role = deployed["Resources"][function]["Properties"]["Role"]["Fn::GetAtt"]
    return deployed["Resources"][role[0] if isinstance(role, list) else role.split(".")[0]]


def test_the_parameter_offers_exactly_the_handovers_the_code_knows(transformed: dict[str, Any]) -> None:
    parameter = transformed["Parameters"]["Handover"]
    assert tuple(parameter["AllowedValues"]) == HANDOVERS and parameter["Default"] == "invoke"


def test_invoke_has_no_search_queue_and_the_start_role_may_only_invoke(transformed: dict[str, Any]) -> None:
    deployed = _deployed(transformed, "invoke")
    assert "SearchQueue" not in deployed["Resources"]
    mappings = resources(deployed, "AWS::Lambda::EventSourceMapping").values()
    assert not [m for m in mappings if m["Properties"]["FunctionName"] == {"Ref": "SearchFunction"}]
    start = _role(deployed, "StartFunction")
    assert allows(start, "lambda:InvokeFunction", SEARCH_ARN, NAMES)
    assert not allows(start, "sqs:SendMessage", SEARCH_QUEUE_ARN, NAMES)
    assert not allows(_role(deployed, "SearchFunction"), "sqs:ReceiveMessage", SEARCH_QUEUE_ARN, NAMES)
    variables = deployed["Resources"]["StartFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["HANDOVER"] == {"Ref": "Handover"} and "SEARCH_QUEUE_URL" not in variables


def test_queue_has_the_search_queue_and_each_role_only_its_side_of_it(transformed: dict[str, Any]) -> None:
    deployed = _deployed(transformed, "queue")
    start, search = _role(deployed, "StartFunction"), _role(deployed, "SearchFunction")

    assert allows(start, "sqs:SendMessage", SEARCH_QUEUE_ARN, NAMES)
    assert not allows(start, "lambda:InvokeFunction", SEARCH_ARN, NAMES)
    assert not allows(start, "sqs:ReceiveMessage", SEARCH_QUEUE_ARN, NAMES)
    for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"):
        assert allows(search, action, SEARCH_QUEUE_ARN, NAMES), action
    assert not allows(search, "sqs:SendMessage", SEARCH_QUEUE_ARN, NAMES)
    assert not allows(search, "sqs:PurgeQueue", SEARCH_QUEUE_ARN, NAMES)
    assert not allows(_role(deployed, "LostSearchFunction"), "sqs:ReceiveMessage", SEARCH_QUEUE_ARN, NAMES)

    variables = deployed["Resources"]["StartFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["SEARCH_QUEUE_URL"] == {"Ref": "SearchQueue"}
    assert Settings.from_env({"HANDOVER": "queue", "SEARCH_QUEUE_URL": "https://sqs/q"}).handover == "queue"
    assert deployed["Outputs"]["SearchQueueUrl"]["Value"] == {"Ref": "SearchQueue"}


def test_the_search_queue_follows_aws_advice_and_dead_letters_to_the_lost_search_queue(
    transformed: dict[str, Any],
) -> None:
    deployed = _deployed(transformed, "queue")
    queue = deployed["Resources"]["SearchQueue"]["Properties"]
    timeout = deployed["Resources"]["SearchFunction"]["Properties"]["Timeout"]

    assert timeout == SEARCH_TIMEOUT_S and queue["VisibilityTimeout"] >= 6 * timeout
    assert queue["SqsManagedSseEnabled"] is True
    # Its dead letters are marked failed by the lost-search Lambda, as Lambda's records of lost async events are;
    # a message is retained no longer there than here (SQS keeps a message's first enqueue time).
    redrive = queue["RedrivePolicy"]
    assert redrive == {"deadLetterTargetArn": {"Fn::GetAtt": ["LostSearchQueue", "Arn"]},
                       "maxReceiveCount": SEARCH_QUEUE_MAX_RECEIVES}  # fmt: skip
    lost = deployed["Resources"]["LostSearchQueue"]["Properties"]
    assert lost["MessageRetentionPeriod"] >= queue["MessageRetentionPeriod"] > 120  # past the search's deadline


@pytest.mark.parametrize(("reserved", "expected"), [("50", SEARCH_MAX_CONCURRENCY), ("100", 100), ("0", 50)])
def test_the_event_source_pulls_one_search_at_a_time_up_to_the_reserved_executions(
    transformed: dict[str, Any], reserved: str, expected: int
) -> None:
    deployed = _deployed(transformed, "queue", SearchReservedConcurrency=reserved)
    mapping = deployed["Resources"]["SearchQueueSource"]["Properties"]
    assert mapping["FunctionName"] == {"Ref": "SearchFunction"}
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": ["SearchQueue", "Arn"]}
    assert mapping["BatchSize"] == 1 and mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    concurrency = mapping["ScalingConfig"]["MaximumConcurrency"]
    value = int(reserved) if concurrency == {"Ref": "SearchReservedConcurrency"} else concurrency
    assert value == expected
    function = deployed["Resources"]["SearchFunction"]["Properties"]
    if "ReservedConcurrentExecutions" in function:  # never more pulled at once than may run: no throttled message
        assert value <= int(reserved)
