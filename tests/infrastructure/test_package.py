"""`make package`: what goes into the Lambda zips, and that the handlers import from them alone.

Built with --no-deps, so no test reaches the package registry; the dependencies come from this virtualenv.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from tools import package
from tools.package import ROOT, SEARCH_SERVICE, SKILL, Artifact

NOT_SHIPPED = {"tests", "local_stack", "bench", "tools", "docs", "infrastructure"}
PYC_TAG = f"cpython-{package.RUNTIME_VERSION.replace('.', '')}"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("build")
    return {
        SEARCH_SERVICE.name: package.build_search_service(out, deps=False),
        SKILL.name: package.build_skill(out, deps=False),
    }


def files(folder: Path) -> set[str]:
    return {path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()}


def sources(folder: Path) -> set[str]:
    """The files of a source tree, without the bytecode Python leaves there."""
    return {name for name in files(folder) if "__pycache__" not in name and not name.endswith(".pyc")}


def is_build_pyc(name: str) -> bool:
    """A .pyc the build compiled for the runtime; any other would come from the source tree."""
    *_, folder, file = ["", *name.split("/")]
    return folder == "__pycache__" and file.endswith(f".{PYC_TAG}.pyc")


def test_search_service_ships_its_package_and_nothing_else(built: dict[str, Path]) -> None:
    shipped = files(built[SEARCH_SERVICE.name])
    code = {name for name in shipped if not is_build_pyc(name)}

    assert {f"{module.replace('.', '/')}.py" for module in SEARCH_SERVICE.handlers} <= code
    # Every file of the package but the requirements the build installs from: a data file added to the package
    # must be added to SEARCH_SERVICE.include too, or Lambda will not have it.
    requirements = SEARCH_SERVICE.requirements.relative_to(ROOT).as_posix()
    assert code == {f"search_service/{name}" for name in sources(ROOT / "search_service")} - {requirements}
    assert not {name for name in shipped if name.split("/")[0] in NOT_SHIPPED}
    assert all(name.split("/")[0] in ("search_service", "__pycache__") for name in shipped)


def test_skill_ships_lambda_function_and_the_skill_package_only(built: dict[str, Path]) -> None:
    folder = built[SKILL.name]
    code = {name for name in files(folder) if not is_build_pyc(name)}

    assert {path.name for path in folder.iterdir()} <= {"lambda_function.py", "skill", "__pycache__"}
    # Every file of the skill package, its strings/*.json included, and nothing beside lambda_function.py.
    assert code == {"lambda_function.py"} | {f"skill/{name}" for name in sources(ROOT / "lambda" / "skill")}
    assert "skill/strings/en-US.json" in code


@pytest.mark.parametrize("artifact", [SEARCH_SERVICE, SKILL], ids=lambda a: a.name)
def test_no_bytecode_from_the_source_tree(built: dict[str, Path], artifact: Artifact) -> None:
    assert all(is_build_pyc(name) for name in files(built[artifact.name]) if "__pycache__" in name)


@pytest.mark.parametrize("artifact", [SEARCH_SERVICE, SKILL], ids=lambda a: a.name)
def test_the_zip_holds_the_folder(built: dict[str, Path], artifact: Artifact) -> None:
    folder = built[artifact.name]
    with zipfile.ZipFile(package.zip_path(folder)) as archive:
        entries = archive.infolist()

    assert {e.filename for e in entries if not e.is_dir()} == files(folder)
    assert [e.filename for e in entries] == sorted(e.filename for e in entries)
    assert {e.date_time for e in entries} == {package.ZIP_TIME}
    assert {e.external_attr >> 16 for e in entries if not e.is_dir()} == {0o100644}
    assert {e.external_attr >> 16 for e in entries if e.is_dir()} <= {0o40755}


def test_two_builds_give_the_same_bytes(built: dict[str, Path], tmp_path: Path) -> None:
    # Another folder on purpose: nothing of the build's location may end up in the zip, .pyc included.
    again = {
        SEARCH_SERVICE.name: package.build_search_service(tmp_path, deps=False),
        SKILL.name: package.build_skill(tmp_path, deps=False),
    }

    for name, folder in built.items():
        assert sha256(package.zip_path(again[name])) == sha256(package.zip_path(folder)), name


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# Run with -I -S -B: no PYTHON* variables, no current folder, no .pth files (the editable install of this repo
# is one), no .pyc written into the build. sys.path: the standard library, the build, this venv's packages.
IMPORT_HANDLER = """
import importlib, json, socket, sys

def refuse(*args, **kwargs):
    raise RuntimeError(f"importing the handler reached the network: {args}")

socket.socket.connect = socket.create_connection = refuse
folder, module_name, *site_packages = sys.argv[1:]
sys.path[:0] = [folder]
sys.path += site_packages
module = importlib.import_module(module_name)
print(json.dumps({"file": module.__file__, "callable": callable(module.lambda_handler)}))
"""


@pytest.mark.parametrize(
    ("artifact", "module"),
    [(artifact, module) for artifact in package.ARTIFACTS for module in artifact.handlers],
    ids=lambda value: value if isinstance(value, str) else value.name,
)
def test_handler_imports_from_the_built_folder(
    built: dict[str, Path], tmp_path: Path, artifact: Artifact, module: str
) -> None:
    folder = built[artifact.name]
    site_packages = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
    env = {
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "HOME": str(tmp_path),
        "RESULTS_BUCKET": "b",
        "SEARCH_API_URL": "http://127.0.0.1:9/beta",
    }

    result = subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-c", IMPORT_HANDLER, str(folder), module, *site_packages],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    imported = json.loads(result.stdout.splitlines()[-1])
    assert Path(imported["file"]).is_relative_to(folder)
    assert imported["callable"]


def test_every_module_of_ours_has_its_pyc(built: dict[str, Path]) -> None:
    if package.find_python() is None:
        pytest.skip(f"no Python {package.RUNTIME_VERSION} on this machine: the build ships sources only")
    ours = [(built[a.name], name) for a in package.ARTIFACTS for name in sources(built[a.name]) if name.endswith(".py")]

    for folder, name in ours:
        source = folder / name
        pyc = source.parent / "__pycache__" / f"{source.stem}.{PYC_TAG}.pyc"
        assert pyc.is_file(), name
        # Flags 0b01: hash-based, source never checked (unchecked-hash), so the runtime never reads the .py.
        assert int.from_bytes(pyc.read_bytes()[4:8], "little") == 0b01, name


def test_a_python_of_another_version_is_refused() -> None:
    if sys.version_info[:2] == (3, 12):
        pytest.skip("this Python is the runtime's version")
    with pytest.raises(ValueError, match=r"not a Python 3\.12"):
        package.find_python(sys.executable)


def dist(*requires: str) -> SimpleNamespace:
    return SimpleNamespace(requires=list(requires))


def test_dependencies_only_the_runtime_provided_sdk_needs_are_left_out() -> None:
    # Shaped like what pip installs for aws-lambda-powertools[tracer]: the X-Ray SDK pulls botocore in.
    installed = {
        "aws-lambda-powertools": dist(
            "jmespath<2.0.0,>=1.0.1",
            "typing-extensions>=4.11.0",
            "aws-xray-sdk<3.0.0,>=2.8.0; extra == 'tracer'",
            "boto3<2.0.0,>=1.34.32; extra == 'aws-sdk'",
        ),
        "aws-xray-sdk": dist("botocore>=1.11.3", "wrapt"),
        "botocore": dist("jmespath<2.0.0,>=0.7.1", "python-dateutil<3.0.0,>=2.1", "urllib3>=1.25.4"),
        "python-dateutil": dist("six>=1.5"),
        "backports-zstd": dist(),
        # Markers are the runtime's, not this Python's: 3.12 needs no backport.
        "pydantic": dist("pydantic-core==2.50.4", "backports-zstd; python_version < '3.12'"),
        **{name: dist() for name in ("jmespath", "typing-extensions", "wrapt", "urllib3", "six", "pydantic-core")},
    }
    roots = package.parse_requirements(["aws-lambda-powertools[tracer]>=3.20  # comment", "pydantic>=2.7"])

    needed = package.needed_distributions(installed, roots)

    assert set(installed) - needed == {"botocore", "python-dateutil", "six", "urllib3", "backports-zstd"}


def test_stripping_removes_the_left_out_distributions_and_what_never_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(package, "RUNTIME_PROVIDED", frozenset({"sdk"}))  # stands for botocore
    site = tmp_path / "site"
    for name, requires in {"lib": "Requires-Dist: sdk\n", "sdk": ""}.items():
        info = site / f"{name}-1.0.dist-info"
        info.mkdir(parents=True)
        info.joinpath("METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n{requires}")
        info.joinpath("RECORD").write_text(f"{name}/__init__.py,,\n{info.name}/METADATA,,\n{info.name}/RECORD,,\n")
        (site / name).mkdir()
        (site / name / "__init__.py").write_text("")
    junk = ["lib/__init__.pyi", "lib/__pycache__/__init__.cpython-311.pyc", "lib-stubs/__init__.pyi", "bin/lib"]
    for name in junk:
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text("")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("lib>=1.0  # what the Lambda imports\n")

    dropped = package.strip_dependencies(site, requirements)

    assert dropped == ["sdk"]
    assert files(site) == {"lib/__init__.py", "lib-1.0.dist-info/METADATA", "lib-1.0.dist-info/RECORD"}
    assert {path.name for path in site.iterdir()} == {"lib", "lib-1.0.dist-info"}
