"""Reading the templates as AWS would: parsed with cfn-lint's decoder, transformed by the SAM translator,
and IAM statements evaluated against concrete actions and ARNs."""

from __future__ import annotations

import fnmatch
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from cfnlint.decode import decode

ROOT = Path(__file__).resolve().parents[2]
SEARCH_STACK = ROOT / "infrastructure" / "template.yaml"

Template = dict[str, Any]


def load(path: Path) -> Template:
    template, problems = decode(str(path))
    assert not problems and template is not None, problems
    return json.loads(json.dumps(template))  # plain dicts and strs, no cfn-lint node types


def lint(path: Path) -> list[str]:
    """Every cfn-lint match, serverless rules included; suppressions in the template's Metadata apply."""
    from cfnlint.api import ManualArgs, lint_file

    matches = lint_file(path, ManualArgs(append_rules=["cfn_lint_serverless.rules"]))
    return [f"{m.rule.id} {m.message} ({m.filename}:{m.linenumber})" for m in matches]


def sam_transform(template: Template, code_uri: str = "s3://artifacts/search-service.zip") -> Template:
    """What CloudFormation deploys after `sam deploy`: local CodeUris become S3 URIs (sam package does
    that), then the SAM transform."""
    from samtranslator.translator.transform import transform

    class NoManagedPolicies:  # the roles are explicit: no SAM policy name needs resolving through IAM
        def load(self) -> dict[str, str]:
            return {}

    packaged = json.loads(json.dumps(template))
    for resource in packaged["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = code_uri
    previous = os.environ.get("AWS_DEFAULT_REGION")
    os.environ["AWS_DEFAULT_REGION"] = "us-east-1"  # the translator asks boto3 for a region; no call is made
    try:
        return transform(packaged, {}, NoManagedPolicies())
    finally:
        if previous is None:
            del os.environ["AWS_DEFAULT_REGION"]
        else:
            os.environ["AWS_DEFAULT_REGION"] = previous


def resources(template: Template, kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


# --- IAM ------------------------------------------------------------------------------------------------

# Stand-ins for the values CloudFormation resolves at deploy time, so statements become plain ARNs.
BUCKET_ARN = "arn:aws:s3:::stack-resultsbucket-abc123"


def render(value: Any, names: Mapping[str, str]) -> str:
    """A resource ARN with the template's references replaced by `names` (logical id or parameter -> value;
    `X.Arn` for GetAtt)."""
    if isinstance(value, str):
        return value
    if "Fn::GetAtt" in value:
        target = value["Fn::GetAtt"]
        return names[".".join(target) if isinstance(target, list) else target]
    if "Ref" in value:
        return names[value["Ref"]]
    if "Fn::Sub" in value:
        text = value["Fn::Sub"]
        assert isinstance(text, str), value
        for name, replacement in names.items():
            text = text.replace("${" + name + "}", replacement)
        assert "${" not in text, f"unresolved reference in {text}"
        return text
    raise AssertionError(f"cannot render {value}")


def statements(role: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for policy in role["Properties"].get("Policies", []):
        yield from policy["PolicyDocument"]["Statement"]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def allows(role: dict[str, Any], action: str, resource: str, names: Mapping[str, str]) -> bool:
    """Whether the role's inline policies allow `action` on `resource` (Allow statements without
    conditions; the roles here have no Deny). IAM's `*` matches any characters, `/` included."""
    for statement in statements(role):
        if statement["Effect"] != "Allow" or "Condition" in statement:
            continue
        if not any(fnmatch.fnmatchcase(action, pattern) for pattern in as_list(statement["Action"])):
            continue
        arns = [render(r, names) for r in as_list(statement["Resource"])]
        if any(fnmatch.fnmatchcase(resource, arn) for arn in arns):
            return True
    return False


# --- conditions -------------------------------------------------------------------------------------------


def resolved(template: Template, **parameters: str) -> Template:
    """The template as CloudFormation deploys it with these parameter values (the others at their defaults): each
    condition evaluated, the resources and outputs whose condition is false left out, and every `Fn::If` replaced
    by its chosen branch (`AWS::NoValue` removes the property or list item). Only what this template's conditions
    use: Fn::Equals, Fn::Not, Fn::And, Fn::Or, Condition and Ref to a parameter."""
    values = {name: str(spec.get("Default")) for name, spec in template.get("Parameters", {}).items()}
    values.update(parameters)
    conditions: dict[str, bool] = {}

    def truth(expression: Any) -> bool:
        if isinstance(expression, dict) and "Condition" in expression:
            return condition(expression["Condition"])
        (function, arguments), *_ = expression.items()
        if function == "Fn::Equals":
            left, right = (values[a["Ref"]] if isinstance(a, dict) else str(a) for a in arguments)
            return left == right
        if function == "Fn::Not":
            return not truth(arguments[0])
        if function == "Fn::And":
            return all(truth(a) for a in arguments)
        if function == "Fn::Or":
            return any(truth(a) for a in arguments)
        raise AssertionError(f"cannot evaluate {expression}")

    def condition(name: str) -> bool:
        if name not in conditions:
            conditions[name] = truth(template["Conditions"][name])
        return conditions[name]

    no_value = object()

    def chosen(value: Any) -> Any:
        if isinstance(value, dict):
            if set(value) == {"Fn::If"}:
                name, yes, no = value["Fn::If"]
                return chosen(yes if condition(name) else no)
            if value == {"Ref": "AWS::NoValue"}:
                return no_value
            kept = {key: chosen(item) for key, item in value.items()}
            return {key: item for key, item in kept.items() if item is not no_value}
        if isinstance(value, list):
            return [item for item in (chosen(i) for i in value) if item is not no_value]
        return value

    out = json.loads(json.dumps(template))
    for section in ("Resources", "Outputs"):
        out[section] = {
            name: {key: item for key, item in body.items() if key != "Condition"}
            for name, body in out.get(section, {}).items()
            if "Condition" not in body or condition(body["Condition"])
        }
    return chosen(out)
