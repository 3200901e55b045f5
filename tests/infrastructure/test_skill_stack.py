"""The skill's stack for the ASK CLI v2 cfn-deployer, and ask-resources.json as the ASK CLI reads it.

What the ASK CLI expects comes from its source (alexa/ask-cli):
- lib/builtins/deploy-delegates/cfn-deployer/index.js: the stack parameters it passes, the names it reserves,
  userConfig.cfn.parameters, the template read from userConfig.templatePath;
- lib/builtins/deploy-delegates/cfn-deployer/helper.js: the output SkillEndpoint it reads;
- lib/model/resources-config/ask-resources.js and docs/concepts/Alexa-Skill-Project-Definition.md: the file's
  keys (ask-cli has no JSON schema for it: it reads these paths and checks them where it uses them);
- lib/commands/deploy/index.ts, lib/controllers/skill-code-controller/index.js: the src checks;
- lib/builtins/build-flows/python-pip.js: requirements.txt selects the Python build;
- lib/controllers/skill-metadata-controller/index.js and lib/utils/constants.js: locales and api domains.

The skill package's own content (publishing information, example phrases, models) is tested in
tests/skill_package/; here only what the ASK CLI needs of it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope
from skill.config import SkillSettings
from skill.trip_store import S3PersistenceAdapter

from tests.builders.alexa import launch
from tests.fakes.objects import InMemoryObjects
from tests.infrastructure.cloudformation import BUCKET_ARN, SEARCH_STACK, allows, load, render

ROOT = Path(__file__).resolve().parents[2]
RESOURCES_FILE = ROOT / "ask-resources.json"
TEMPLATE_FILE = ROOT / "infrastructure" / "cfn-deployer" / "skill-stack.yaml"
LAMBDA_DIR = ROOT / "lambda"

DEPLOYER = "@ask-cli/cfn-deployer"
# cfn-deployer/index.js `_mapStackParameters`: always passed. `_getUserDefinedParameters`: refused in cfn.parameters.
DEPLOYER_PARAMETERS = {"SkillId", "LambdaRuntime", "LambdaHandler", "CodeBucket", "CodeKey", "CodeVersion"}
RESERVED_PARAMETERS = DEPLOYER_PARAMETERS | {"SkillClientId", "SkillClientSecret"}
# lib/utils/constants.js: ALEXA.REGION, ALEXA.LANGUAGES, SKILL.DOMAIN.CAN_ENABLE_DOMAIN_LIST.
ALEXA_REGIONS = {"default", "NA", "EU", "FE"}
ASK_CLI_LANGUAGES = {
    "en-AU", "de-DE", "en-CA", "en-GB", "en-IN", "en-US", "es-ES", "es-MX",
    "es-US", "fr-CA", "fr-FR", "hi-IN", "it-IT", "ja-JP", "pt-BR",
}  # fmt: skip
CAN_ENABLE_DOMAINS = {"custom", "music"}
# The principal that invokes the endpoint of each api domain (ask-cli's default basic-lambda.yaml).
DOMAIN_PRINCIPALS = {"custom": "alexa-appkit.amazon.com", "smartHome": "alexa-connectedhome.amazon.com"}

ALEXA_RESPONSE_LIMIT_S = 8
XRAY_WRITE = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}  # no resource-level permissions: "*"
# The users' last trips (lambda/skill/trip_store.py): the objects under the trips prefix of the results bucket, both
# published by the search stack, and three actions on them.
TRIPS_RESOURCE = {
    "Fn::Sub": "arn:${AWS::Partition}:s3:::{{resolve:ssm:/car-search/${SearchStage}/results-bucket}}"
    "/{{resolve:ssm:/car-search/${SearchStage}/trips-prefix}}*"
}
TRIPS_ACTIONS = {"s3:GetObject", "s3:PutObject", "s3:DeleteObject"}
# The search API's two routes, which its AWS_IAM authorization lets the role invoke (the skill signs with SigV4).
SEARCH_ROUTES = [{"Fn::Sub": f"{{{{resolve:ssm:/car-search/${{SearchStage}}/search-api-arn}}}}/{route}"}
                 for route in ("POST/search", "GET/search")]  # fmt: skip
# Set by Lambda's runtime, not by the template: the region, and the role's credentials (which the skill signs its S3
# requests with). AWS_ENDPOINT_URL_S3 is the AWS SDKs' variable for another S3 than AWS's, which only the local
# stack and the benchmarks give.
RUNTIME_VARIABLES = {"AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"}
NOT_DEPLOYED = {"AWS_ENDPOINT_URL_S3"}
# env.get("X"), os.environ.get("X"), os.environ["X"], os.getenv("X"): the ways Python code reads a setting.
ENV_READ = re.compile(
    r"""(?:\b(?:env|environ)\.get|\bgetenv)\(\s*["']([A-Za-z_][A-Za-z0-9_]*)["']"""
    r"""|\b(?:env|environ)\[\s*["']([A-Za-z_][A-Za-z0-9_]*)["']\s*\]"""
)

Json = dict[str, Any]


# --- what the tests read ----------------------------------------------------------------------------


@cache
def template() -> Json:
    return load(TEMPLATE_FILE)


@cache
def ask_resources() -> Json:
    loaded: Json = json.loads(RESOURCES_FILE.read_text(encoding="utf-8"))
    return loaded


def profile() -> Json:
    return ask_resources()["profiles"]["default"]


def user_config() -> Json:
    return profile()["skillInfrastructure"]["userConfig"]


def resources_of_type(kind: str) -> dict[str, Json]:
    return {name: r for name, r in template()["Resources"].items() if r["Type"] == kind}


def the_one(kind: str) -> tuple[str, Json]:
    found = resources_of_type(kind)
    assert len(found) == 1, f"expected one {kind}, found {sorted(found)}"
    return next(iter(found.items()))


def function() -> tuple[str, Json]:
    return the_one("AWS::Lambda::Function")


def variables() -> Json:
    variables: Json = function()[1]["Properties"]["Environment"]["Variables"]
    return variables


def refers_to(value: Any, resource: str) -> bool:
    """A Ref to the resource, or a GetAtt of its Arn."""
    return value in ({"Ref": resource}, {"Fn::GetAtt": [resource, "Arn"]})


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements() -> list[Json]:
    _, fn = function()
    role_value = fn["Properties"]["Role"]
    assert role_value["Fn::GetAtt"][1] == "Arn", role_value
    role = template()["Resources"][role_value["Fn::GetAtt"][0]]
    assert role["Type"] == "AWS::IAM::Role"
    assert "ManagedPolicyArns" not in role["Properties"], "managed policies grant more than the skill needs"
    return [s for policy in role["Properties"]["Policies"] for s in as_list(policy["PolicyDocument"]["Statement"])]


def _own_python_files() -> Iterator[Path]:
    """The skill's Python under lambda/, leaving out any packages pip installed there."""
    installed = {
        line.split(",", 1)[0].split("/", 1)[0]
        for record in LAMBDA_DIR.glob("*.dist-info/RECORD")
        for line in record.read_text(encoding="utf-8").splitlines()
    }
    for path in sorted(LAMBDA_DIR.rglob("*.py")):
        relative = path.relative_to(LAMBDA_DIR)
        if relative.parts[0] not in installed and "__pycache__" not in relative.parts:
            yield path


def settings_the_code_reads() -> dict[str, list[str]]:
    """Each environment variable the skill's code reads -> the files that read it."""
    found: dict[str, list[str]] = {}
    for path in _own_python_files():
        for match in ENV_READ.finditer(path.read_text(encoding="utf-8")):
            found.setdefault(match[1] or match[2], []).append(str(path.relative_to(LAMBDA_DIR.parent)))
    return found


# --- cfn-lint ----------------------------------------------------------------------------------------


def test_cfn_lint_with_the_serverless_rules_finds_nothing() -> None:
    # Same as: cfn-lint -a cfn_lint_serverless.rules infrastructure/cfn-deployer/skill-stack.yaml
    from cfnlint.api import ManualArgs, lint_file

    config = ManualArgs(append_rules=["cfn_lint_serverless.rules"], regions=[user_config()["awsRegion"]])
    matches = lint_file(TEMPLATE_FILE, config=config)
    assert not matches, "cfn-lint:\n" + "\n".join(str(match) for match in matches)


def test_the_only_lint_suppression_is_the_explained_log_group_rule() -> None:
    suppressed = {
        name: resource["Metadata"]["cfn-lint"]["config"]["ignore_checks"]
        for name, resource in template()["Resources"].items()
        if "cfn-lint" in resource.get("Metadata", {})
    }
    assert suppressed == {function()[0]: ["WS1004"]}
    assert "cfn-lint" not in template().get("Metadata", {})


# --- what the cfn-deployer passes and reads -----------------------------------------------------------


def test_the_deployer_parameters_are_declared() -> None:
    parameters = template()["Parameters"]
    assert set(parameters) >= DEPLOYER_PARAMETERS
    for name in DEPLOYER_PARAMETERS:
        assert parameters[name]["Type"] == "String", name


def test_the_deployer_does_not_fetch_skill_credentials() -> None:
    # cfn-deployer/index.js asks SMAPI for the skill's messaging credentials when the template text names both.
    text = TEMPLATE_FILE.read_text(encoding="utf-8")
    assert not ("SkillClientId" in text and "SkillClientSecret" in text)


def test_skill_endpoint_output_is_the_function_arn() -> None:
    # helper.js `_waitForStackDeploy` reads the output SkillEndpoint as the skill's endpoint uri.
    assert template()["Outputs"]["SkillEndpoint"]["Value"] == {"Fn::GetAtt": [function()[0], "Arn"]}


def test_template_fits_in_a_cloudformation_template_body() -> None:
    # The deployer sends the file as TemplateBody, which CloudFormation caps at 51,200 bytes.
    assert TEMPLATE_FILE.stat().st_size < 51_200


# --- the Alexa trigger and the role --------------------------------------------------------------------


def test_only_this_skill_may_invoke_the_function() -> None:
    _, permission = the_one("AWS::Lambda::Permission")
    properties = permission["Properties"]
    assert properties["Principal"] == "alexa-appkit.amazon.com"
    assert properties["Action"].lower() == "lambda:invokefunction"
    assert properties["EventSourceToken"] == {"Ref": "SkillId"}
    assert refers_to(properties["FunctionName"], function()[0])


def test_role_has_no_wildcard_but_the_xray_write_actions() -> None:
    for statement in statements():
        actions = as_list(statement["Action"])
        assert statement["Effect"] == "Allow"
        assert "NotAction" not in statement and "NotResource" not in statement
        assert not [action for action in actions if "*" in action], statement
        for resource in as_list(statement["Resource"]):
            wildcard = resource == "*" or (isinstance(resource, str) and "*" in resource)
            wildcard = wildcard or ("*" in resource.get("Fn::Sub", "") if isinstance(resource, dict) else False)
            if wildcard and resource != TRIPS_RESOURCE:  # the trips prefix's objects end in "*"
                assert resource == "*" and set(actions) <= XRAY_WRITE, statement


def test_role_grants_its_log_group_its_traces_and_its_users_last_trips_only() -> None:
    log_group, _ = the_one("AWS::Logs::LogGroup")
    granted = {(action, json.dumps(resource)) for s in statements() for action in as_list(s["Action"])
               for resource in as_list(s["Resource"])}  # fmt: skip
    own_group = json.dumps({"Fn::GetAtt": [log_group, "Arn"]})
    assert granted == {
        ("logs:CreateLogStream", own_group),
        ("logs:PutLogEvents", own_group),
        *((action, json.dumps("*")) for action in XRAY_WRITE),
        *((action, json.dumps(TRIPS_RESOURCE)) for action in TRIPS_ACTIONS),
        *(("execute-api:Invoke", json.dumps(route)) for route in SEARCH_ROUTES),
    }


def _deployed_arn(value: Any) -> str:
    """A resource of the role as deployed with the search stack's defaults: its bucket, ResultsPrefix results/."""
    published = {"{{resolve:ssm:/car-search/${SearchStage}/results-bucket}}": BUCKET_ARN.rsplit(":", 1)[-1],
                 "{{resolve:ssm:/car-search/${SearchStage}/trips-prefix}}": "results/trips/"}  # fmt: skip
    if isinstance(value, dict) and "Fn::Sub" in value:
        for reference, resolved in published.items():
            value = {"Fn::Sub": value["Fn::Sub"].replace(reference, resolved)}
    return render(value, {"AWS::Partition": "aws"})


def _role() -> dict[str, Any]:
    role_value = function()[1]["Properties"]["Role"]
    role: dict[str, Any] = template()["Resources"][role_value["Fn::GetAtt"][0]]
    return json.loads(json.dumps(role).replace(json.dumps(TRIPS_RESOURCE), json.dumps(_deployed_arn(TRIPS_RESOURCE))))


@pytest.mark.parametrize(
    ("action", "key", "allowed"),
    [
        ("s3:GetObject", "results/trips/" + "ab" * 32 + ".json", True),
        ("s3:PutObject", "results/trips/" + "ab" * 32 + ".json", True),
        ("s3:DeleteObject", "results/trips/" + "ab" * 32 + ".json", True),
        # Nothing of the searches beside them, nothing else in the bucket, nothing on the bucket itself.
        ("s3:GetObject", "results/" + "ab" * 32 + "/job.json", False),
        ("s3:GetObject", "results/" + "ab" * 32 + "/suppliers/hertz.json", False),
        ("s3:PutObject", "results/idempotency/k1.json", False),
        ("s3:DeleteObject", "results/" + "ab" * 32 + "/job.json", False),
        ("s3:GetObject", "trips/x.json", False),
        ("s3:ListBucket", "", False),
        ("s3:PutLifecycleConfiguration", "", False),
        ("s3:PutObjectAcl", "results/trips/x.json", False),
    ],
)
def test_the_role_reaches_the_users_last_trips_and_nothing_else_in_s3(action: str, key: str, allowed: bool) -> None:
    resource = f"{BUCKET_ARN}/{key}" if key else BUCKET_ARN
    assert allows(_role(), action, resource, {}) is allowed
    assert not allows(_role(), action, f"arn:aws:s3:::another-bucket/{key}", {})


def test_the_role_allows_every_s3_call_the_skills_trip_store_makes() -> None:
    # GIVEN the store as the skill builds it with the deployed prefix, on a fake that records its calls
    objects = InMemoryObjects()
    store = S3PersistenceAdapter(objects, SkillSettings(trips_prefix="results/trips/").trips_prefix)
    envelope = DefaultSerializer().deserialize(json.dumps(launch()), RequestEnvelope)
    # WHEN it reads, writes and deletes a user's record
    store.get_attributes(envelope)
    store.save_attributes(envelope, {"trip": {"city": "Denver, CO"}})
    store.delete_attributes(envelope)
    # THEN the role allows each of those calls
    actions = {"GET": "s3:GetObject", "PUT": "s3:PutObject", "DELETE": "s3:DeleteObject"}
    made = [(actions[method], f"{BUCKET_ARN}/{key}") for method, key in objects.calls]
    assert len(made) == 3 and all(allows(_role(), action, resource, {}) for action, resource in made), made


def test_function_logs_to_its_own_log_group_with_retention() -> None:
    log_group, group = the_one("AWS::Logs::LogGroup")
    name, fn = function()
    assert fn["Properties"]["LoggingConfig"]["LogGroup"] == {"Ref": log_group}
    assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    assert template()["Parameters"]["LogRetentionDays"]["Default"] == 14
    # The group's name does not refer to the function, which refers to the group: no circular dependency.
    assert name not in json.dumps(group["Properties"].get("LogGroupName", ""))


# --- the function ---------------------------------------------------------------------------------------


def test_function_is_traced_on_arm64_and_answers_within_alexas_limit() -> None:
    properties = function()[1]["Properties"]
    assert properties["Architectures"] == ["arm64"]
    assert properties["TracingConfig"] == {"Mode": "Active"}
    assert properties["Timeout"] == ALEXA_RESPONSE_LIMIT_S
    assert properties["MemorySize"] >= 512  # the cold start's imports are CPU bound: see the template
    # Every call of a turn is clipped to its deadline (tests/skill/test_turn_deadline.py): a second is left for
    # the answer's way back within Alexa's limit.
    assert float(variables()["TURN_DEADLINE_SECONDS"]) == SkillSettings().deadline_s <= properties["Timeout"] - 1
    assert properties["Handler"] == {"Ref": "LambdaHandler"}
    assert properties["Runtime"] == {"Ref": "LambdaRuntime"}
    assert properties["Code"] == {
        "S3Bucket": {"Ref": "CodeBucket"},
        "S3Key": {"Ref": "CodeKey"},
        "S3ObjectVersion": {"Ref": "CodeVersion"},
    }


def test_every_setting_the_skill_reads_is_set() -> None:
    read = settings_the_code_reads()
    assert {"SEARCH_API_URL", "SKILL_ID"} <= set(read), f"the scan of lambda/ found too little: {read}"
    missing = {
        name: files
        for name, files in read.items()
        if name not in variables() and name not in RUNTIME_VARIABLES | NOT_DEPLOYED
    }
    assert not missing, f"read by the skill, not set in skill-stack.yaml: {missing}"
    unread = set(variables()) - set(read)
    assert not unread, f"set in skill-stack.yaml, read by nothing: {unread}"


def test_the_skills_logs_are_json_at_the_stacks_log_level() -> None:
    # The skill logs with the standard library (lambda/skill/interceptors.py): only LogFormat JSON makes Lambda's
    # runtime write the records' extra keys, and set the root logger's level, without which INFO is dropped.
    logging_config = function()[1]["Properties"]["LoggingConfig"]
    assert logging_config["LogFormat"] == "JSON"
    assert logging_config["ApplicationLogLevel"] == {"Ref": "LogLevel"}
    levels = set(template()["Parameters"]["LogLevel"]["AllowedValues"])
    assert levels <= {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"}  # what ApplicationLogLevel accepts
    assert template()["Parameters"]["LogLevel"]["Default"] in levels


def test_env_read_pattern_finds_every_form() -> None:
    code = 'env.get("A") os.environ.get("B", "x") os.environ["C"] os.getenv(\'D\') settings.get("E")'
    assert {m[1] or m[2] for m in ENV_READ.finditer(code)} == {"A", "B", "C", "D"}


def test_skill_refuses_other_skills() -> None:
    assert variables()["SKILL_ID"] == {"Ref": "SkillId"}
    assert variables()["VERIFY_SKILL_ID"] == "true"


def test_search_api_url_comes_from_the_search_stack_and_no_secret_is_in_the_environment() -> None:
    assert variables()["SEARCH_API_URL"] == {"Fn::Sub": "{{resolve:ssm:/car-search/${SearchStage}/search-api-url}}"}
    # The API authorizes the role (SigV4 with its temporary credentials): no key in the function's environment.
    assert not [name for name in variables() if re.search("KEY|SECRET|TOKEN|PASSWORD", name)]
    stage = template()["Parameters"]["SearchStage"]
    assert (stage["Default"], stage["AllowedPattern"]) == ("beta", "^[a-z][a-z0-9]{0,15}$")
    # ssm-secure is not allowed in a Lambda environment variable: a deploy would fail.
    assert "ssm-secure" not in json.dumps(variables())


def test_the_search_stack_publishes_the_parameters_the_skill_reads() -> None:
    published = {}
    for resource in load(SEARCH_STACK)["Resources"].values():
        if resource["Type"] == "AWS::SSM::Parameter":
            name = resource["Properties"]["Name"]
            name = name.get("Fn::Sub", name) if isinstance(name, dict) else name
            published[name.replace("${Stage}", "${SearchStage}")] = resource["Properties"]["Type"]
    for variable in ("SEARCH_API_URL", "MAX_RENTAL_DAYS", "RESULTS_BUCKET", "TRIPS_PREFIX"):
        name = variables()[variable]["Fn::Sub"].removeprefix("{{resolve:ssm:").removesuffix("}}")
        assert published.get(name) == "String", f"{variable}: the search stack publishes no String {name}"
    for resource in (TRIPS_RESOURCE, *SEARCH_ROUTES):
        for name in re.findall(r"\{\{resolve:ssm:([^}]+)\}\}", resource["Fn::Sub"]):
            assert published.get(name) == "String", (
                f"the role's {resource}: the search stack publishes no String {name}"
            )


def test_the_users_last_trips_are_kept_where_the_results_lifecycle_rule_expires_them() -> None:
    search = load(SEARCH_STACK)
    published = {r["Properties"]["Name"]["Fn::Sub"]: r["Properties"]["Value"]
                 for r in search["Resources"].values() if r["Type"] == "AWS::SSM::Parameter"}  # fmt: skip
    assert published["/car-search/${Stage}/results-bucket"] == {"Ref": "ResultsBucket"}
    prefix = published["/car-search/${Stage}/trips-prefix"]["Fn::Sub"]
    (rule,) = search["Resources"]["ResultsBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert rule["Prefix"] == {"Ref": "ResultsPrefix"} and rule["ExpirationInDays"] == 1
    assert prefix.startswith("${ResultsPrefix}") and prefix.endswith("/")
    # the skill's default is the prefix the search stack publishes with its default ResultsPrefix
    assert SkillSettings().trips_prefix == prefix.replace(
        "${ResultsPrefix}", search["Parameters"]["ResultsPrefix"]["Default"]
    )


def test_the_handler_in_ask_resources_is_a_callable_of_the_code() -> None:
    # As Lambda loads it: the code folder on sys.path, the module imported, the attribute called.
    module, attribute = user_config()["handler"].rsplit(".", 1)
    code_dir = ROOT / profile()["code"]["default"]["src"]
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", *variables())}
    env["SEARCH_API_URL"] = "http://127.0.0.1:9/beta"
    probe = (
        "import importlib, sys\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "print(callable(getattr(importlib.import_module(sys.argv[2]), sys.argv[3], None)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-B", "-c", probe, str(code_dir), module, attribute],
        cwd=code_dir, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True", f"{module}.{attribute} is not callable\n{done.stderr}"


# --- ask-resources.json, as the ASK CLI reads it -----------------------------------------------------


def test_resources_file_is_ask_cli_v2() -> None:
    resources = ask_resources()
    assert resources["askcliResourcesVersion"] == "2020-03-31"
    assert isinstance(resources["profiles"], dict) and "default" in resources["profiles"]
    # skillId, lastDeployHash and deployState are ask-cli's to write, in .ask/ask-states.json.
    assert set(profile()) <= {"skillMetadata", "code", "skillInfrastructure"}
    assert not {"skillId", "lastDeployHash", "deployState"} & set(_keys(resources))


def _keys(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key
            yield from _keys(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _keys(inner)


def test_skill_metadata_src_is_the_skill_package() -> None:
    src = profile()["skillMetadata"]["src"]
    assert isinstance(src, str) and src.strip()
    assert (ROOT / src).is_dir()
    manifest = json.loads((ROOT / src / "skill.json").read_text(encoding="utf-8"))
    assert isinstance(manifest["manifest"], dict)


def test_code_src_is_a_python_folder_with_the_handler() -> None:
    code = profile()["code"]
    assert code and set(code) <= ALEXA_REGIONS
    module = user_config()["handler"].rsplit(".", 1)[0]
    for region, entry in code.items():
        src = ROOT / entry["src"]
        assert src.is_dir(), region
        assert (src / "requirements.txt").is_file(), "without it ask-cli does not pick its python-pip build"
        assert (src / (module.replace(".", "/") + ".py")).is_file(), region


def test_infrastructure_is_the_cfn_deployer_with_this_template() -> None:
    infrastructure = profile()["skillInfrastructure"]
    assert infrastructure["type"] == DEPLOYER
    config = user_config()
    for key in ("runtime", "handler", "templatePath", "awsRegion"):
        assert isinstance(config[key], str) and config[key].strip(), key
    assert (ROOT / config["templatePath"]).resolve() == TEMPLATE_FILE
    assert re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", config["awsRegion"])
    assert re.fullmatch(r"[A-Za-z_][\w.]*\.[A-Za-z_]\w*", config["handler"])


def test_runtime_is_one_the_stack_and_the_project_accept() -> None:
    runtime = user_config()["runtime"]
    assert re.fullmatch(template()["Parameters"]["LambdaRuntime"]["AllowedPattern"], runtime)
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["requires-python"]
    minimum = re.fullmatch(r">=\s*3\.(\d+)", requires)
    assert minimum, requires
    assert int(runtime.removeprefix("python3.")) >= int(minimum[1])


def test_cfn_parameters_are_declared_valid_and_not_secret() -> None:
    parameters = user_config().get("cfn", {}).get("parameters", {})
    declared = template()["Parameters"]
    assert isinstance(parameters, dict)
    for name, value in parameters.items():
        assert name not in RESERVED_PARAMETERS, f"ask-cli refuses the reserved parameter {name}"
        assert name in declared, f"CloudFormation rejects the undeclared parameter {name}"
        assert isinstance(value, str), f"{name}: a stack parameter's value is a string"
        assert not re.search(r"key|secret|token|password", name, re.IGNORECASE), f"{name} in a committed file"
        spec = declared[name]
        if "AllowedPattern" in spec:
            assert re.fullmatch(spec["AllowedPattern"], value), (name, value)
        if "AllowedValues" in spec:
            assert value in [str(allowed) for allowed in spec["AllowedValues"]], (name, value)
    # Whatever neither the deployer nor cfn.parameters passes needs a default, or the stack cannot be created.
    unset = set(declared) - DEPLOYER_PARAMETERS - set(parameters)
    assert not [name for name in unset if "Default" not in declared[name]]


# --- the skill package, as the ASK CLI reads it ----------------------------------------------------


def _manifest() -> Json:
    src = ROOT / profile()["skillMetadata"]["src"]
    manifest: Json = json.loads((src / "skill.json").read_text(encoding="utf-8"))["manifest"]
    return manifest


def test_the_one_api_domain_can_be_enabled_and_is_the_one_the_stack_serves() -> None:
    # ask-cli writes the SkillEndpoint into every domain of manifest.apis, and enables only a skill with one
    # domain among custom and music. The stack's permission must be for that domain's principal.
    domains = list(_manifest()["apis"])
    assert len(domains) == 1 and domains[0] in CAN_ENABLE_DOMAINS, domains
    _, permission = the_one("AWS::Lambda::Permission")
    assert permission["Properties"]["Principal"] == DOMAIN_PRINCIPALS[domains[0]]
    assert "targetEndpoint" not in user_config()  # the default: the manifest's api domains


def test_locales_are_languages_ask_cli_knows() -> None:
    # ask-cli lists interactionModels/custom/<locale>.json only for the languages it knows, silently.
    models = ROOT / profile()["skillMetadata"]["src"] / "interactionModels" / "custom"
    model_locales = {path.stem for path in models.glob("*.json")}
    assert model_locales and model_locales <= ASK_CLI_LANGUAGES
    assert set(_manifest()["publishingInformation"]["locales"]) <= ASK_CLI_LANGUAGES
