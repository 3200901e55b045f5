"""The policy-as-code scan of infrastructure/: checkov over every template, as written and (for a SAM template) as the
SAM transform expands it, offline.

A finding is waived only by a suppression next to its resource, in the template: `Metadata: checkov: skip:` entries
of `id` and `comment`, the form checkov itself reads. No config file or command-line skip list is used: checkov runs
from an empty folder with an empty HOME, so no `.checkov.yaml` applies, and with no `--skip-check`."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cfnlint.decode import decode

from tests.infrastructure.cloudformation import ROOT, Template, load, sam_transform

# Installed by `make install` (infrastructure/checkov-requirements.txt says why in a venv of its own).
CHECKOV = ROOT / ".venv" / "checkov" / "bin" / "checkov"
# Every template, so that a new one is scanned too; not what a tool leaves in a hidden folder (sam build's .aws-sam).
TEMPLATES = sorted(
    path
    for path in (ROOT / "infrastructure").rglob("*.yaml")
    if not any(p.startswith(".") for p in path.parts[len(ROOT.parts) :])
)


@dataclass(frozen=True, order=True)
class Finding:
    """A failed check, on the resource of the template as written that it is about."""

    template: Path
    resource: str
    check: str
    title: str = field(compare=False)

    @property
    def key(self) -> tuple[Path, str, str]:
        return self.template, self.resource, self.check

    def describe(self) -> str:
        line = resource_lines(self.template).get(self.resource)
        where = f"{self.template.relative_to(ROOT)}:{line}" if line else f"{self.template.relative_to(ROOT)}"
        return f"{self.check} on {self.resource} ({where}): {self.title}"


@dataclass(frozen=True)
class Suppression:
    template: Path
    resource: str
    check: str
    comment: str

    @property
    def key(self) -> tuple[Path, str, str]:
        return self.template, self.resource, self.check


def is_sam(template: Template) -> bool:
    transform = template.get("Transform", [])
    return any(
        str(name).startswith("AWS::Serverless") for name in (transform if isinstance(transform, list) else [transform])
    )


def suppressions(path: Path) -> list[Suppression]:
    """Every `Metadata: checkov: skip:` entry of the template's resources (a malformed entry's comment is '')."""
    found = []
    for name, resource in load(path)["Resources"].items():
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
            entry = skip if isinstance(skip, dict) else {}
            found.append(Suppression(path, name, str(entry.get("id", skip)), str(entry.get("comment", ""))))
    return found


def without_suppressions(template: Template) -> Template:
    """The template with every resource's checkov Metadata taken out: what checkov finds before any waiver."""
    stripped: Template = json.loads(json.dumps(template))
    for resource in stripped["Resources"].values():
        metadata = resource.get("Metadata", {})
        metadata.pop("checkov", None)
        if not metadata:
            resource.pop("Metadata", None)
    return stripped


def resource_lines(path: Path) -> dict[str, int]:
    """Each resource's line in the template (1-based)."""
    template, problems = decode(str(path))
    assert not problems and template is not None, problems
    return {str(name): name.start_mark.line + 1 for name in template["Resources"]}


def source_resource(generated: str, written: Iterable[str]) -> str:
    """The resource of the template as written that a transformed resource comes from: itself, or the one whose
    logical id the SAM transform prefixed to the ids it made (SearchApi -> SearchApiStage, SearchApiDeploymentab12;
    StartFunction -> StartFunctionStartPermissionStage)."""
    names = set(written)
    if generated in names:
        return generated
    prefixes = [name for name in names if generated.startswith(name)]
    return max(prefixes, key=len) if prefixes else generated


@dataclass(frozen=True)
class Scan:
    """What one checkov run found: over the templates as written (checkov's own verdict, suppressions applied), and
    over copies without their suppressions, the SAM template also transformed (every finding, none waived)."""

    as_written: list[Finding]
    unwaived: list[Finding]


def run_checkov(workdir: Path, files: list[str]) -> list[dict[str, Any]]:
    """checkov's JSON reports for `files` (relative to workdir), offline: no API key, no download of guidelines or
    policies (--skip-download), no update check against PyPI (CKV_SKIP_PACKAGE_UPDATE_CHECK)."""
    assert CHECKOV.exists(), f"{CHECKOV} is missing: run `make install` (it installs checkov in a venv of its own)"
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("CKV_", "BC_", "PRISMA_", "CHECKOV_", "LOG_LEVEL"))
    }
    environment |= {"HOME": str(workdir), "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true"}
    command = [str(CHECKOV), "--framework", "cloudformation", "--skip-download", "--output", "json", "--file", *files]
    done = subprocess.run(command, cwd=workdir, env=environment, capture_output=True, text=True, timeout=300)
    # 0: nothing failed, 1: something failed; anything else is a crash.
    assert done.returncode in (0, 1), f"checkov exited {done.returncode}:\n{done.stderr[-3000:]}"
    reports = json.loads(done.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    for report in reports:
        assert report["summary"]["parsing_errors"] == 0, report["results"].get("parsing_errors")
    scanned = {Path(check["file_path"]).name for report in reports for check in all_checks(report)}
    assert scanned == {Path(name).name for name in files}, f"checkov scanned {sorted(scanned)} of {files}"
    return reports


def all_checks(report: dict[str, Any]) -> list[dict[str, Any]]:
    results = report["results"]
    return [*results["passed_checks"], *results["failed_checks"], *results["skipped_checks"]]


def choices(template: Template) -> dict[str, Template]:
    """The template as is (""), and with each other allowed value of each String parameter that has a list of them
    as its default (Handover=queue, ConfigureApiGatewayLogRole=false): what a condition leaves out with the defaults
    is scanned too."""
    found = {"": template}
    for name, spec in template.get("Parameters", {}).items():
        if spec.get("Type") != "String":
            continue
        for value in spec.get("AllowedValues", []):
            if str(value) != str(spec.get("Default")):
                chosen = json.loads(json.dumps(template))
                chosen["Parameters"][name]["Default"] = value
                found[f"{name}={value}"] = chosen
    return found


def scan(workdir: Path, templates: list[Path] = TEMPLATES) -> Scan:
    """One checkov run (its start-up takes most of the time) over a copy of every template as written, and over
    copies without suppressions, with the SAM transform's output for a SAM template."""
    as_written: dict[str, Path] = {}  # a file checkov scans -> the template it stands for
    unwaived: dict[str, Path] = {}
    written: dict[Path, list[str]] = {}
    for number, path in enumerate(templates):
        template = load(path)
        written[path] = list(template["Resources"])
        as_written[f"{number}-{path.name}"] = path
        (workdir / f"{number}-{path.name}").write_text(path.read_text())
        for choice, chosen in choices(template).items():
            if choice:  # checkov evaluates conditions with the defaults: each other choice is a file of its own
                as_written[f"{number}-{path.stem}-{choice}.json"] = path
                (workdir / f"{number}-{path.stem}-{choice}.json").write_text(json.dumps(chosen, indent=1))
            stripped = without_suppressions(chosen)
            variants = {"raw": stripped} | ({"transformed": sam_transform(stripped)} if is_sam(template) else {})
            for variant, content in variants.items():
                name = f"{number}-{path.stem}-{variant}{choice and '-' + choice}.json"
                (workdir / name).write_text(json.dumps(content, indent=1))
                unwaived[name] = path
    reports = run_checkov(workdir, [*as_written, *unwaived])

    found: dict[str, set[Finding]] = {"as_written": set(), "unwaived": set()}
    for report in reports:
        for failed in report["results"]["failed_checks"]:
            scanned = Path(failed["file_path"]).name
            template = as_written.get(scanned) or unwaived[scanned]
            resource = source_resource(failed["resource"].rsplit(".", 1)[-1], written[template])
            finding = Finding(template, resource, failed["check_id"], failed["check_name"])
            found["as_written" if scanned in as_written else "unwaived"].add(finding)
    return Scan(sorted(found["as_written"]), sorted(found["unwaived"]))
