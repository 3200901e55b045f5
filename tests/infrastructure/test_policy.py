"""The policy-as-code scan of both templates (issue 17), beside cfn-lint: checkov's CloudFormation checks over every
template in infrastructure/, the SAM one also as transformed, so any resource added is scanned. A failed check is
fixed in the template or waived next to its resource with the reason (`Metadata: checkov: skip:`), never by
a skip list in a config file. tests/infrastructure/policy.py runs checkov, offline."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.infrastructure.cloudformation import ROOT
from tests.infrastructure.policy import TEMPLATES, Scan, Suppression, scan, suppressions

# A reason says what the check asks for, why it does not apply or what it would cost, in a sentence or more.
MIN_WORDS = 12


@pytest.fixture(scope="module")
def checkov(tmp_path_factory: pytest.TempPathFactory) -> Scan:
    return scan(tmp_path_factory.mktemp("checkov"))


def every_suppression() -> list[Suppression]:
    return [suppression for template in TEMPLATES for suppression in suppressions(template)]


def test_both_templates_are_scanned() -> None:
    names = {path.relative_to(ROOT).as_posix() for path in TEMPLATES}
    assert {"infrastructure/template.yaml", "infrastructure/cfn-deployer/skill-stack.yaml"} <= names


def test_checkov_finds_no_failure_that_the_template_does_not_waive(checkov: Scan) -> None:
    waived = {suppression.key for suppression in every_suppression()}
    unwaived = [finding for finding in checkov.unwaived if finding.key not in waived]
    if unwaived:
        pytest.fail(
            "checkov: fix these in the template, or waive each next to its resource with the reason "
            "(Metadata: checkov: skip: - id: ... comment: ...):\n" + "\n".join(f.describe() for f in unwaived)
        )


def test_every_waiver_still_waives_a_failure(checkov: Scan) -> None:
    failing = {finding.key for finding in checkov.unwaived}
    stale = [s for s in every_suppression() if s.key not in failing]
    if stale:
        pytest.fail(
            "checkov passes these now: remove their skip entries:\n"
            + "\n".join(f"{s.check} on {s.resource} ({s.template.relative_to(ROOT)})" for s in stale)
        )


def test_checkov_run_on_the_templates_as_written_agrees(checkov: Scan) -> None:
    # What `checkov -f infrastructure/template.yaml` says: it reads the same skip entries.
    if checkov.as_written:
        pytest.fail("checkov on the templates as written:\n" + "\n".join(f.describe() for f in checkov.as_written))


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.name)
def test_every_waiver_is_in_metadata_with_its_reason(template: Path) -> None:
    text = template.read_text()
    # checkov also reads `# checkov:skip=ID:reason` comments; here every waiver is a Metadata entry, which the tests
    # above read (a comment would be lost on the JSON copies they scan, and its waiver with it).
    assert not re.search(r"(checkov|bridgecrew):skip", text, re.IGNORECASE), "use Metadata: checkov: skip:"
    assert "bridgecrew:" not in text
    for suppression in suppressions(template):
        where = f"{suppression.check} on {suppression.resource}"
        assert re.fullmatch(r"CKV2?_AWS_\d+", suppression.check), f"{where}: not a checkov check id"
        assert len(suppression.comment.split()) >= MIN_WORDS, f"{where}: say why, in {MIN_WORDS} words or more"
    checks = [(s.resource, s.check) for s in suppressions(template)]
    assert len(checks) == len(set(checks)), "a check waived twice on one resource"
